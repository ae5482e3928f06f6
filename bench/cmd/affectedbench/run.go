package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/centuria/centuria/bench/wsgen"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = execute(ctx, o, args, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "affectedbench:", err)
		return 1
	}
	return 0
}

// benchEnv keeps every measured command offline and on the local toolchain.
func benchEnv() []string {
	return append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly", "NX_DAEMON=false", "NX_NO_CLOUD=true")
}

func execute(ctx context.Context, o options, args []string, stdout, stderr io.Writer) error {
	work := o.workdir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "affectedbench-"); err != nil {
			return err
		}
		if !o.keep {
			defer os.RemoveAll(work)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	env := benchEnv()
	cent := o.cent
	if cent == "" {
		var err error
		if cent, err = buildCent(ctx, work, stderr); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "command: go run ./bench/cmd/affectedbench %s\n", strings.Join(args, " "))
	fmt.Fprintf(stdout, "date: %s, %s, %s/%s, %d CPUs, cent: %s\n\n", time.Now().UTC().Format(time.RFC3339),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), centLabel(o.cent))
	if o.kinds {
		for _, size := range o.sizes {
			if err := checkKinds(ctx, o, size, filepath.Join(work, size), cent, env, stdout, stderr); err != nil {
				return fmt.Errorf("%s: %w", size, err)
			}
		}
		return nil
	}
	var reports []func()
	for _, size := range o.sizes {
		report, err := benchSize(ctx, o, size, filepath.Join(work, size), cent, env, stdout, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", size, err)
		}
		reports = append(reports, report)
	}
	for _, r := range reports {
		r()
	}
	return nil
}

func centLabel(flagValue string) string {
	if flagValue == "" {
		return "built from ./tools/cent"
	}
	return flagValue
}

// buildCent builds ./tools/cent of the module in the working directory.
func buildCent(ctx context.Context, work string, stderr io.Writer) (string, error) {
	bin := filepath.Join(work, "cent")
	fmt.Fprintln(stderr, "building cent...")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./tools/cent")
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building cent (run from the repository root, or pass -cent): %w", err)
	}
	return bin, nil
}

// prepare generates the workspace, commits it, and commits the change.
func prepare(ctx context.Context, o options, size, dir string, before func(*wsgen.Manifest) error) (*wsgen.Manifest, []string, error) {
	spec, err := wsgen.Preset(size)
	if err != nil {
		return nil, nil, err
	}
	spec.Seed = o.seed
	m, err := wsgen.Generate(dir, spec)
	if err != nil {
		return nil, nil, err
	}
	if before != nil {
		if err := before(m); err != nil {
			return nil, nil, err
		}
	}
	if err := wsgen.Commit(ctx, dir, "base"); err != nil {
		return nil, nil, err
	}
	if _, err := wsgen.ApplyChange(dir, m, o.change); err != nil {
		return nil, nil, err
	}
	if err := wsgen.Commit(ctx, dir, string(o.change)); err != nil {
		return nil, nil, err
	}
	changed, err := wsgen.ChangedFiles(ctx, dir, "HEAD~1")
	return m, changed, err
}

// benchSize generates and measures one workspace. It returns the report,
// to be run once every size is measured: the oracle it runs would
// otherwise raise this process's memory high-water mark, which children
// inherit (see measure).
func benchSize(ctx context.Context, o options, size, dir, cent string, env []string, stdout, stderr io.Writer) (func(), error) {
	fmt.Fprintf(stderr, "%s: generating workspace in %s\n", size, dir)
	var before func(*wsgen.Manifest) error
	if o.nx {
		tools, err := installNx(ctx, filepath.Join(filepath.Dir(dir), "nx-tools"), stderr)
		if err != nil {
			return nil, err
		}
		before = func(m *wsgen.Manifest) error { return writeNxWorkspace(dir, tools, m) }
	}
	m, changed, err := prepare(ctx, o, size, dir, before)
	if err != nil {
		return nil, err
	}
	tools := []tool{
		{name: "go list -deps -test -json ./...", argv: []string{"go", "list", "-deps", "-test", "-json", "./..."}, peer: true},
		{name: "cent graph --json", argv: []string{cent, "graph", "--json"}},
		{name: "cent affected --base HEAD~1 --json", short: "cent affected", argv: []string{cent, "affected", "--base", "HEAD~1", "--json"}, parse: parseCentAffected},
	}
	if o.nx {
		tools = append(tools, nxTools(dir)...)
	}
	floor := rssFloor(ctx, env)
	samples, err := rounds(ctx, dir, env, tools, o.rounds, stderr)
	if err != nil {
		return nil, err
	}
	return func() {
		checks := accuracy(ctx, dir, m, changed, tools, samples)
		printTable(stdout, size, m, o, tools, samples, floor, checks)
	}, nil
}

// rounds runs one untimed warm-up of every tool, then o.rounds timed
// rounds, reversing the order on every other round so no tool always runs
// on a cache the previous one warmed.
func rounds(ctx context.Context, dir string, env []string, tools []tool, n int, stderr io.Writer) ([][]sample, error) {
	out := make([][]sample, len(tools))
	order := make([]int, len(tools))
	for i := range order {
		order[i] = i
	}
	for r := -1; r < n; r++ {
		seq := slices.Clone(order)
		if r%2 == 1 {
			slices.Reverse(seq)
		}
		for _, i := range seq {
			s, err := measure(ctx, dir, env, tools[i].argv, tools[i].parse != nil)
			if err != nil {
				return nil, err
			}
			if r >= 0 {
				out[i] = append(out[i], s)
			}
		}
		if r >= 0 {
			fmt.Fprintf(stderr, "  round %d/%d done\n", r+1, n)
		}
	}
	return out, nil
}

// accuracy compares the projects each checked tool reports affected with
// those owning the packages the go list oracle finds affected (through
// their code or their tests).
func accuracy(ctx context.Context, dir string, m *wsgen.Manifest, changed []string, tools []tool, samples [][]sample) []string {
	oracle, err := wsgen.Oracle(ctx, dir, changed, wsgen.WithBase("HEAD~1"))
	if err != nil {
		return []string{"oracle failed: " + err.Error()}
	}
	want := m.ProjectsOf(oracle.Packages)
	var lines []string
	for i, t := range tools {
		if t.parse == nil || len(samples[i]) == 0 {
			continue
		}
		got, err := t.parse(samples[i][len(samples[i])-1].Stdout)
		if err != nil {
			lines = append(lines, fmt.Sprintf("%s: output is not the expected JSON (%v); the oracle finds %d projects", t.short, err, len(want)))
			continue
		}
		lines = append(lines, compareProjects(t.short, want, got))
	}
	return lines
}

func compareProjects(label string, want, got []string) string {
	have := make(map[string]bool)
	for _, p := range got {
		have[p] = true
	}
	var missing []string
	for _, p := range want {
		if !have[p] {
			missing = append(missing, p)
		}
		delete(have, p)
	}
	extra := slices.Sorted(maps.Keys(have))
	if len(missing) == 0 && len(extra) == 0 {
		return fmt.Sprintf("%s is exact: %d projects, as the go list oracle", label, len(want))
	}
	return fmt.Sprintf("%s differs from the go list oracle (%d projects): missing %s, extra %s",
		label, len(want), short(missing), short(extra))
}

// parseCentAffected reads the project names of cent affected --json.
func parseCentAffected(out []byte) ([]string, error) {
	var v struct {
		Projects []struct {
			Name string `json:"name"`
		} `json:"projects"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, err
	}
	names := make([]string, len(v.Projects))
	for i, p := range v.Projects {
		names[i] = p.Name
	}
	return names, nil
}

// short lists up to five names.
func short(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	if len(names) > 5 {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:5], ", "), len(names)-5)
	}
	return strings.Join(names, ", ")
}
