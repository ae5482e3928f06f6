package task_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/task"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// writeTree writes files (path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gitCommit(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "base"}} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil && args[0] != "init" {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// fixture is a workspace where app "api" imports lib "shared-util-a", and
// targets are shell commands that record that they ran.
var fixture = map[string]string{
	"go.mod": "module example.com/ws\n\ngo 1.22\n",
	"cent.yaml": `targetDefaults:
  build:
    command: mkdir -p dist/{projectName} && echo built {projectName} && printf '#!/bin/sh\necho hi\n' > dist/{projectName}/bin && chmod 755 dist/{projectName}/bin && echo run >> runs-build-{projectName}.log
    dependsOn: ["^build"]
    inputs: [production, "^production"]
    outputs: ["dist/{projectName}"]
  test:
    command: echo tested {projectName} && echo run >> runs-test-{projectName}.log
    inputs: [default, "^production"]
    env: [CENT_TEST_FLAVOR]
`,
	".gitignore":                       "dist/\n*.log\n",
	"apps/api/main.go":                 "package main\n\nimport _ \"example.com/ws/libs/shared/util-a\"\n\nfunc main() {}\n",
	"libs/shared/util-a/a.go":          "package a\n",
	"libs/shared/util-a/a_test.go":     "package a\n",
	"libs/shared/util-b/b.go":          "package b\n",
	"libs/shared/util-b/README.md":     "b\n",
	"libs/shared/util-b/b_internal.go": "package b\n",
}

type env struct {
	dir   string
	cache *cache.Cache
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	writeTree(t, dir, fixture)
	gitCommit(t, dir)
	c, err := cache.Open(context.Background(), cache.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &env{dir: dir, cache: c}
}

func (e *env) plan(t *testing.T, targets []string, projects ...string) *task.Plan {
	t.Helper()
	ctx := context.Background()
	ws, err := workspace.LoadRoot(ctx, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Build(ctx, ws, graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := task.NewPlan(g, task.PlanOptions{Targets: targets, Projects: projects})
	if err != nil {
		t.Fatal(err)
	}
	files, err := task.NewFileHasher(ctx, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	k := &task.Keyer{Graph: g, Files: files, GoEnv: map[string]string{"GOVERSION": "go-test"}, Getenv: os.Getenv}
	if err := k.Compute(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) run(t *testing.T, ctx context.Context, targets []string, projects ...string) (*task.Report, string) {
	t.Helper()
	p := e.plan(t, targets, projects...)
	var out, errw bytes.Buffer
	rep := task.Run(ctx, p, e.dir, e.cache, task.RunOptions{Parallel: 2, Printer: task.NewPrinter(&out, &errw, task.OutputStream, false)})
	return rep, out.String() + errw.String()
}

func statuses(rep *task.Report) map[string]task.Status {
	m := map[string]task.Status{}
	for _, r := range rep.Tasks {
		m[r.ID] = r.Status
	}
	return m
}

func TestRunCachesAndRestores(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rep, log := e.run(t, ctx, []string{"build"}, "api")
	if rep.Ran != 2 || !rep.OK() {
		t.Fatalf("first run: %+v\n%s", rep, log)
	}
	// ^build ran the dependency first.
	if got := statuses(rep); got["shared-util-a:build"] != task.StatusRan || got["api:build"] != task.StatusRan {
		t.Fatalf("statuses %v", got)
	}
	bin := filepath.Join(e.dir, "dist", "api", "bin")
	want, _ := os.ReadFile(bin)
	if err := os.RemoveAll(filepath.Join(e.dir, "dist")); err != nil {
		t.Fatal(err)
	}
	rep, log = e.run(t, ctx, []string{"build"}, "api")
	if rep.Cached != 2 || rep.Ran != 0 {
		t.Fatalf("second run should be fully cached: %+v\n%s", rep, log)
	}
	if !strings.Contains(log, "api:build | built api") {
		t.Fatalf("cached logs were not replayed:\n%s", log)
	}
	got, err := os.ReadFile(bin)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("output not restored byte-identical: %v", err)
	}
	if fi, _ := os.Stat(bin); fi.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v, want 0755", fi.Mode().Perm())
	}
	if runs, _ := os.ReadFile(filepath.Join(e.dir, "runs-build-api.log")); strings.Count(string(runs), "run") != 1 {
		t.Fatalf("api:build executed %d times", strings.Count(string(runs), "run"))
	}
}

func TestKeysFollowInputs(t *testing.T) {
	e := newEnv(t)
	keys := func() map[string]string {
		p := e.plan(t, []string{"build", "test"}, "api", "shared-util-a", "shared-util-b")
		m := map[string]string{}
		for _, tk := range p.Tasks {
			m[tk.ID] = tk.Key.String()
		}
		return m
	}
	base := keys()
	changed := func(what string, want ...string) {
		t.Helper()
		now := keys()
		var diff []string
		for id, k := range now {
			if base[id] != k {
				diff = append(diff, id)
			}
		}
		if strings.Join(sorted(diff), ",") != strings.Join(sorted(want), ",") {
			t.Errorf("%s: changed keys %v, want %v", what, sorted(diff), sorted(want))
		}
		base = now
	}
	// A library source change: its tasks and every dependent's.
	writeTree(t, e.dir, map[string]string{"libs/shared/util-a/a.go": "package a\n\n// changed\n"})
	changed("util-a source", "shared-util-a:build", "shared-util-a:test", "api:build", "api:test")
	// A test file: only that project's test.
	writeTree(t, e.dir, map[string]string{"libs/shared/util-a/a_test.go": "package a\n\n// changed\n"})
	changed("util-a test file", "shared-util-a:test")
	// Markdown: not a build input.
	writeTree(t, e.dir, map[string]string{"libs/shared/util-b/README.md": "changed\n"})
	changed("util-b README", "shared-util-b:test")
	// A declared env var.
	t.Setenv("CENT_TEST_FLAVOR", "spicy")
	changed("env var", "api:test", "shared-util-a:test", "shared-util-b:test")
	// The go directive of the module: every task.
	writeTree(t, e.dir, map[string]string{"go.mod": "module example.com/ws\n\ngo 1.23\n"})
	changed("go directive", "api:build", "api:test", "shared-util-a:build", "shared-util-a:test", "shared-util-b:build", "shared-util-b:test")
	// An untracked new file in a library.
	writeTree(t, e.dir, map[string]string{"libs/shared/util-b/new.go": "package b\n"})
	changed("new file", "shared-util-b:build", "shared-util-b:test")
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestFailureSkipsDependents(t *testing.T) {
	e := newEnv(t)
	writeTree(t, e.dir, map[string]string{"libs/shared/util-a/project.yaml": "targets:\n  build:\n    command: echo broken >&2; exit 3\n"})
	rep, log := e.run(t, context.Background(), []string{"build"}, "api", "shared-util-b")
	st := statuses(rep)
	if st["shared-util-a:build"] != task.StatusFailed || st["api:build"] != task.StatusSkipped {
		t.Fatalf("statuses %v\n%s", st, log)
	}
	if rep.OK() {
		t.Fatal("report OK despite a failure")
	}
	for _, r := range rep.Tasks {
		if r.ID == "shared-util-a:build" && (r.ExitCode != 3 || r.Error != "exit status 3") {
			t.Fatalf("failed task result %+v", r)
		}
	}
	// A failure is not cached: the next run executes it again.
	rep, _ = e.run(t, context.Background(), []string{"build"}, "shared-util-a")
	if statuses(rep)["shared-util-a:build"] != task.StatusFailed {
		t.Fatalf("failed task was cached: %v", statuses(rep))
	}
}

func TestInterruptSavesNothing(t *testing.T) {
	e := newEnv(t)
	writeTree(t, e.dir, map[string]string{"apps/api/project.yaml": "targets:\n  build:\n    command: echo started; sleep 30\n    dependsOn: []\n"})
	ctx, cancel := context.WithCancel(context.Background())
	p := e.plan(t, []string{"build"}, "api")
	out := &testenv.Buffer{}
	done := make(chan *task.Report)
	go func() {
		done <- task.Run(ctx, p, e.dir, e.cache, task.RunOptions{Printer: task.NewPrinter(out, out, task.OutputStream, false)})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "started") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case rep := <-done:
		if rep.OK() {
			t.Fatal("interrupted run reported OK")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
	for _, tk := range p.Tasks {
		if _, err := e.cache.Lookup(context.Background(), tk.Key); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("%s: an interrupted task left a cache entry (err %v)", tk.ID, err)
		}
	}
}

func TestPlanCycle(t *testing.T) {
	e := newEnv(t)
	writeTree(t, e.dir, map[string]string{"apps/api/project.yaml": "targets:\n  a:\n    command: 'true'\n    dependsOn: [b]\n  b:\n    command: 'true'\n    dependsOn: [a]\n"})
	ws, _ := workspace.LoadRoot(context.Background(), e.dir)
	g, _ := graph.Build(context.Background(), ws, graph.Options{})
	_, err := task.NewPlan(g, task.PlanOptions{Targets: []string{"a"}, Projects: []string{"api"}})
	if !errors.Is(err, task.ErrCycle) || !strings.Contains(err.Error(), "api:a → api:b → api:a") {
		t.Fatalf("err = %v", err)
	}
	_, err = task.NewPlan(g, task.PlanOptions{Targets: []string{"nope"}, Projects: []string{"api"}})
	if !errors.Is(err, task.ErrUnknownTarget) {
		t.Fatalf("err = %v", err)
	}
}
