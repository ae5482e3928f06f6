// Command runbench measures cent's task runner side by side with Nx on a
// synthetic workspace: a cold `cent run -t build --all` (empty cent and Go
// caches), the fully cached rerun, the remote-hit rerun from a fresh clone
// with an empty local cache, and Nx's fully cached `nx run-many -t build`
// (without its daemon, alternating with cent, then with its daemon
// started and warmed) on the same workspace and commands.
//
//	go run ./bench/cmd/runbench -preset small -rounds 5
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/centuria/centuria/bench/benchkit"
	"github.com/centuria/centuria/bench/wsgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	preset  string
	rounds  int
	nx      bool
	nxTools string
	keep    bool
	settle  time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("runbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.preset, "preset", "small", "workspace size: "+strings.Join(wsgen.PresetNames(), ", "))
	fs.IntVar(&o.rounds, "rounds", 5, "measured rounds of each cached command")
	fs.BoolVar(&o.nx, "nx", true, "also measure Nx (installed with npm)")
	fs.StringVar(&o.nxTools, "nx-tools", filepath.Join(os.TempDir(), "centuria-nx-tools"), "where Nx is installed")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "pause before each measured command (after a sync), so background work left by the previous one finishes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.rounds < 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "runbench: -rounds must be at least 1 and no arguments are taken")
		return 2
	}
	if err := bench(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "runbench:", err)
		return 1
	}
	return 0
}

// result is one measured command's samples.
type result struct {
	name    string
	samples []benchkit.Sample
}

func bench(ctx context.Context, o options, stdout, stderr io.Writer) error {
	spec, err := wsgen.Preset(o.preset)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "runbench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Fprintln(stderr, "work directory:", work)
	}
	ws := filepath.Join(work, "ws")
	m, err := wsgen.Generate(ws, spec)
	if err != nil {
		return err
	}
	nx := ""
	if o.nx {
		if nx, err = benchkit.InstallNx(ctx, o.nxTools, stderr); err != nil {
			return err
		}
		if err := writeNx(ws, o.nxTools, m); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(ws, ".gitignore"), []byte("dist/\n.nx/\nnode_modules\n"), 0o644); err != nil {
		return err
	}
	if err := wsgen.Commit(ctx, ws, "base"); err != nil {
		return err
	}
	cent := filepath.Join(work, "bin", "cent")
	if err := buildCent(ctx, cent); err != nil {
		return err
	}
	remote := filepath.Join(work, "remote")
	if err := os.MkdirAll(remote, 0o755); err != nil {
		return err
	}
	base := append(os.Environ(), "CENT_REMOTE_CACHE=file://"+remote, "NX_NO_CLOUD=true", "NX_TUI=false", "CI=true")
	centEnv := append(base, "CENT_CACHE_DIR="+filepath.Join(work, "cent-cache"), "GOCACHE="+filepath.Join(work, "gocache-cent"))
	centRun := []string{cent, "run", "-t", "build", "--all"}
	tasks := len(m.Projects) + len(m.External)

	fmt.Fprintf(stderr, "%s: %d apps, %d libs; cold cent run...\n", o.preset, spec.Apps, spec.Libs)
	cold, err := benchkit.Measure(ctx, ws, centEnv, centRun, false)
	if err != nil {
		return err
	}
	if err := checkCent(cold, -1); err != nil {
		return fmt.Errorf("cold cent run: %w", err)
	}
	// Nx works in its own clone: both tools restore outputs into dist/, and
	// a file one rewrote would make the other verify it again.
	wsNx := filepath.Join(work, "ws-nx")
	if o.nx {
		if err := gitClone(ctx, ws, wsNx); err != nil {
			return err
		}
		if err := os.Symlink(filepath.Join(o.nxTools, "node_modules"), filepath.Join(wsNx, "node_modules")); err != nil {
			return err
		}
	}
	var nxCold benchkit.Sample
	nxEnv := append(base, "GOCACHE="+filepath.Join(work, "gocache-nx"))
	nxRun := []string{nx, "run-many", "-t", "build", "--parallel=2", "--outputStyle=static"}
	if o.nx {
		fmt.Fprintln(stderr, "cold nx run-many...")
		if nxCold, err = benchkit.Measure(ctx, wsNx, append(nxEnv, "NX_DAEMON=false"), nxRun, false); err != nil {
			return err
		}
	}
	res := []*result{{name: "cent run -t build --all (cached)"}, {name: "cent run, fresh clone, remote cache only"}}
	if o.nx {
		res = append(res, &result{name: "nx run-many -t build (cached, no daemon)"}, &result{name: "nx run-many -t build (cached, daemon)"},
			&result{name: "cent run -t build --all (cached, alternating with the Nx daemon)"})
	}
	measureOne := func(i, j int) error {
		var s benchkit.Sample
		var err error
		// Flush what the previous command wrote (a remote-hit run writes
		// hundreds of megabytes), then let background work settle.
		exec.CommandContext(ctx, "sync").Run()
		time.Sleep(o.settle)
		switch j {
		case 0, 4:
			s, err = benchkit.Measure(ctx, ws, centEnv, centRun, false)
			if err == nil {
				err = checkCent(s, 0)
			}
		case 1:
			clone := filepath.Join(work, "clone-"+strconv.Itoa(i))
			if err = gitClone(ctx, ws, clone); err == nil {
				env := append(base, "CENT_CACHE_DIR="+filepath.Join(work, "cent-cache-"+strconv.Itoa(i)))
				s, err = benchkit.Measure(ctx, clone, env, centRun, false)
				if err == nil {
					err = checkCent(s, 0)
				}
			}
		case 2:
			s, err = benchkit.Measure(ctx, wsNx, append(nxEnv, "NX_DAEMON=false"), nxRun, true)
			if err == nil {
				err = checkNx(s)
			}
		case 3:
			s, err = benchkit.Measure(ctx, wsNx, append(nxEnv, "NX_DAEMON=true"), nxRun, true)
			if err == nil {
				err = checkNx(s)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", res[j].name, err)
		}
		res[j].samples = append(res[j].samples, s)
		fmt.Fprintf(stderr, "  %-45s %8.1f ms\n", res[j].name, float64(s.Wall.Microseconds())/1000)
		return nil
	}
	// Phase 1, no daemon running anywhere: cent and Nx alternate.
	for i := 0; i < o.rounds; i++ {
		fmt.Fprintf(stderr, "round %d/%d\n", i+1, o.rounds)
		order := []int{0, 1, 2}
		if i%2 == 1 {
			order = []int{2, 1, 0}
		}
		for _, j := range order {
			if j < len(res) {
				if err := measureOne(i, j); err != nil {
					return err
				}
			}
		}
	}
	// Phase 2: Nx with its daemon, started and warmed first, stopped after
	// (its background work would otherwise slow the other commands). cent's
	// cached run alternates with it, so both are measured after the same
	// kind of command (in phase 1 every other cent run follows a remote-hit
	// run, which writes hundreds of megabytes).
	if o.nx {
		if _, err := benchkit.Measure(ctx, wsNx, append(nxEnv, "NX_DAEMON=true"), nxRun, false); err != nil {
			return err
		}
		for i := 0; i < o.rounds; i++ {
			order := []int{3, 4}
			if i%2 == 1 {
				order = []int{4, 3}
			}
			for _, j := range order {
				if err := measureOne(i, j); err != nil {
					return err
				}
			}
		}
		benchkit.Measure(ctx, wsNx, nxEnv, []string{nx, "daemon", "--stop"}, false)
	}
	report(stdout, o, tasks, cold, nxCold, res)
	return nil
}

var summaryRe = regexp.MustCompile(`(\d+) tasks: (\d+) ran, (\d+) cached, (\d+) failed`)

// checkCent verifies a cent run's summary: no failure, and wantRan tasks
// run (-1: any).
func checkCent(s benchkit.Sample, wantRan int) error {
	m := summaryRe.FindStringSubmatch(string(s.Stderr))
	if m == nil {
		return fmt.Errorf("no summary in cent's output:\n%s", s.Stderr)
	}
	if m[4] != "0" {
		return fmt.Errorf("%s tasks failed", m[4])
	}
	if wantRan >= 0 && m[2] != strconv.Itoa(wantRan) {
		return fmt.Errorf("%s tasks ran, want %d (all cached)", m[2], wantRan)
	}
	return nil
}

var nxCachedRe = regexp.MustCompile(`Nx read the output from the cache instead of running the command for (\d+) out of (\d+) tasks`)

// nxMisses counts, over all measured Nx runs, the tasks Nx ran instead of
// restoring (its cache missed although nothing changed).
var nxMisses int

// checkNx reads how many tasks Nx restored from its cache; tasks it ran
// again are counted in nxMisses and reported.
func checkNx(s benchkit.Sample) error {
	m := nxCachedRe.FindStringSubmatch(string(s.Stdout))
	if m == nil {
		return fmt.Errorf("no cache summary in nx's output:\n%s", tail(s.Stdout))
	}
	hit, _ := strconv.Atoi(m[1])
	all, _ := strconv.Atoi(m[2])
	nxMisses += all - hit
	return nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func report(w io.Writer, o options, tasks int, cold, nxCold benchkit.Sample, res []*result) {
	fmt.Fprintf(w, "\n### %s: %d tasks, %d rounds\n\n", o.preset, tasks, o.rounds)
	fmt.Fprintln(w, "| command | median | min | max | peak RSS |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| cent run -t build --all (cold: empty cent and Go caches) | %s | | | %s |\n", benchkit.Ms(cold.Wall), benchkit.MiB(cold.RSSKiB))
	if o.nx {
		fmt.Fprintf(w, "| nx run-many -t build (cold: empty Nx and Go caches) | %s | | | %s |\n", benchkit.Ms(nxCold.Wall), benchkit.MiB(nxCold.RSSKiB))
	}
	stats := map[int]benchkit.Stats{}
	for i, r := range res {
		st := benchkit.Summarise(r.samples)
		stats[i] = st
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.name, benchkit.Ms(st.Median), benchkit.Ms(st.Min), benchkit.Ms(st.Max), benchkit.MiB(st.PeakKiB))
	}
	cached, remote := stats[0].Median, stats[1].Median
	fmt.Fprintln(w)
	fmt.Fprintf(w, "cent cached rerun: %.2f ms per task (target < 2 ms)\n", float64(cached)/float64(time.Millisecond)/float64(tasks))
	fmt.Fprintf(w, "remote-hit rerun from a fresh clone: %.3fx of cold (target <= 0.2x)\n", float64(remote)/float64(cold.Wall))
	if o.nx {
		fmt.Fprintf(w, "Nx cached (daemon) / cent cached, alternating in phase 2: %.1fx (target >= 5x)\n", float64(stats[3].Median)/float64(stats[4].Median))
		fmt.Fprintf(w, "Nx cached (daemon) / cent cached of phase 1: %.1fx\n", float64(stats[3].Median)/float64(cached))
		fmt.Fprintf(w, "Nx cached (no daemon) / cent cached: %.1fx\n", float64(stats[2].Median)/float64(cached))
		fmt.Fprintf(w, "Nx re-ran %d task(s) over its %d measured cached runs although nothing changed\n", nxMisses, 2*o.rounds)
	}
}
