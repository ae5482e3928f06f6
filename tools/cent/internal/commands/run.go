package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/task"
)

func init() { register(newRunCmd) }

// runOptions are the flags of cent run.
type runOptions struct {
	Targets    []string
	All        bool
	Affected   bool
	affected   affectedOptions
	Parallel   int
	KeepGoing  bool
	Output     string
	JSON       string
	DryRun     bool
	Why        bool
	SkipCache  bool
	cache      cacheOptions
	Projects   []string
	targetsSet bool
}

func newRunCmd(g *GlobalOptions) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run -t TARGET[,TARGET...] [PROJECT... | --all | --affected --base REF]",
		Short: "Run targets of projects in parallel, restoring cached results",
		Long: `Run targets of projects as a task graph: dependsOn tasks first ("^build" is the
build target of every dependency), up to --parallel at once. A task whose key
(target definition, input files, dependency projects' inputs, dependency
tasks' keys, Go version and platform, declared env vars and the go.sum lines
of the modules it uses) is in the local or remote cache is restored instead of
run: its outputs are written back and its logs replayed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Projects = args
			return o.run(cmd, g)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.Targets, "target", "t", nil, "targets to run (comma-separated)")
	f.BoolVar(&o.All, "all", false, "run for every project")
	f.BoolVar(&o.Affected, "affected", false, "run for the projects affected by the change (see cent affected)")
	f.IntVar(&o.Parallel, "parallel", runtime.NumCPU(), "tasks run at once")
	f.BoolVar(&o.KeepGoing, "keep-going", false, "after a failure, still run every task whose dependencies succeeded")
	f.StringVar(&o.Output, "output", "", "stream (lines prefixed with the task) or grouped (whole output per task); default stream")
	f.StringVar(&o.JSON, "json", "", "write a machine-readable report to `file` (- for stdout)")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the plan with task keys and cache status, run nothing")
	f.BoolVar(&o.Why, "why", false, "for each task that is not cached, print which inputs differ from its last cached run")
	f.BoolVar(&o.SkipCache, "skip-cache", false, "run every task (results are still saved)")
	addAffectedFlags(cmd, &o.affected)
	addCacheFlags(cmd, &o.cache)
	return cmd
}

func (o *runOptions) validate() error {
	if len(o.Targets) == 0 {
		return errors.New("no target: name one or more with -t (e.g. -t build,test)")
	}
	for _, t := range o.Targets {
		if t == "" || strings.ContainsAny(t, " :^") {
			return fmt.Errorf("-t: invalid target name %q", t)
		}
	}
	if !exactlyOne(len(o.Projects) > 0, o.All, o.Affected) {
		return errors.New("select the projects: name them, or use --all or --affected (exactly one)")
	}
	if o.Parallel < 1 {
		return fmt.Errorf("--parallel must be at least 1, got %d", o.Parallel)
	}
	if o.Output != "" {
		if _, err := task.ParseOutputMode(o.Output); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
	}
	return nil
}

func (o *runOptions) run(cmd *cobra.Command, g *GlobalOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	ctx := cmd.Context()
	ws, err := g.Workspace(ctx)
	if err != nil {
		return err
	}
	// git and go env run while the graph is built.
	inputs := prefetchKeyInputs(ctx, ws.Root)
	names, gr, err := o.affected.selectProjects(cmd, ws, o.Projects, o.All, o.Affected)
	if err != nil {
		return err
	}
	// With --all or --affected, only projects that have a target are run;
	// named projects must have every target.
	selected := o.Projects
	for _, n := range names {
		if len(o.Projects) > 0 {
			break
		}
		p, _ := ws.Project(n)
		for _, t := range o.Targets {
			if _, ok := p.Targets[t]; ok {
				selected = append(selected, n)
				break
			}
		}
	}
	if len(selected) == 0 && len(o.Projects) == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), "cent: no project to run")
		return nil
	}
	plan, err := planWithInputs(ctx, gr, task.PlanOptions{Targets: o.Targets, Projects: selected}, inputs)
	if err != nil {
		return err
	}
	mode := task.OutputStream
	if o.Output != "" {
		mode = task.OutputMode(o.Output)
	}
	printer := task.NewPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), mode, isTerminal(cmd.ErrOrStderr()))
	// Cache warnings go through the printer, which serialises every line;
	// uploads run in the background (Close waits for them).
	o.cache.AsyncUpload = true
	c, err := o.cache.open(ctx, noteWriter{printer})
	if err != nil {
		return err
	}
	defer c.Close()
	if o.DryRun {
		return o.printPlan(ctx, cmd.OutOrStdout(), plan, c)
	}
	ro := task.RunOptions{Parallel: o.Parallel, KeepGoing: o.KeepGoing, Printer: printer, SkipCacheRead: o.SkipCache}
	if o.Why {
		ro.OnMiss = func(ctx context.Context, t *task.Task) string { return explainMiss(ctx, c, t) }
	}
	rep := task.Run(ctx, plan, ws.Root, c, ro)
	if o.JSON != "" {
		if err := writeReport(g.path(o.JSON), o.JSON, cmd.OutOrStdout(), rep); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return &ExitError{Code: 130, Err: errors.New("interrupted")}
	}
	if !rep.OK() {
		return &ExitError{Code: 1}
	}
	return nil
}

// planWithKeys plans the tasks and computes their keys.
func planWithKeys(ctx context.Context, gr *graph.Graph, po task.PlanOptions) (*task.Plan, error) {
	return planWithInputs(ctx, gr, po, prefetchKeyInputs(ctx, gr.Workspace.Root))
}

// planWithInputs is planWithKeys with the file ids and go env settings
// already being read.
func planWithInputs(ctx context.Context, gr *graph.Graph, po task.PlanOptions, in *keyInputs) (*task.Plan, error) {
	plan, err := task.NewPlan(gr, po)
	if err != nil {
		return nil, err
	}
	files, goEnv, err := in.wait()
	if err != nil {
		return nil, err
	}
	keyer := &task.Keyer{Graph: gr, Files: files, GoEnv: goEnv, Getenv: os.Getenv, ModCache: goModCache()}
	if err := keyer.Compute(ctx, plan); err != nil {
		return nil, err
	}
	return plan, nil
}

// keyInputs are the parts of task keys read from outside processes (git
// for file ids, the go command for its settings), started early so they
// overlap with loading the graph.
type keyInputs struct {
	done     chan struct{}
	files    *task.FileHasher
	goEnv    map[string]string
	filesErr error
	goEnvErr error
}

func prefetchKeyInputs(ctx context.Context, root string) *keyInputs {
	in := &keyInputs{done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		in.files, in.filesErr = task.NewFileHasher(ctx, root)
	}()
	go func() {
		defer wg.Done()
		in.goEnv, in.goEnvErr = task.GoEnv(ctx, root)
	}()
	go func() {
		wg.Wait()
		close(in.done)
	}()
	return in
}

func (in *keyInputs) wait() (*task.FileHasher, map[string]string, error) {
	<-in.done
	if in.filesErr != nil {
		return nil, nil, in.filesErr
	}
	if in.goEnvErr != nil {
		return nil, nil, in.goEnvErr
	}
	return in.files, in.goEnv, nil
}

// noteWriter prints each write as a line through a task printer.
type noteWriter struct{ p *task.Printer }

func (w noteWriter) Write(b []byte) (int, error) {
	w.p.Note(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb" && os.Getenv("CI") == ""
}

// printPlan prints each task with its key and whether it would be a hit.
func (o *runOptions) printPlan(ctx context.Context, w io.Writer, plan *task.Plan, c taskLookup) error {
	for _, t := range plan.Tasks {
		state := "miss"
		if !t.Def.Cacheable() {
			state = "no-cache"
		} else if _, err := c.Lookup(ctx, t.Key); err == nil {
			state = "hit"
		}
		var deps []string
		for _, d := range t.Deps {
			deps = append(deps, d.ID)
		}
		sort.Strings(deps)
		fmt.Fprintf(w, "%s  %s  %-8s %s\n", t.Key.String()[:16], t.ID, state, t.Command)
		if len(deps) > 0 {
			fmt.Fprintf(w, "    after %s\n", strings.Join(deps, ", "))
		}
	}
	return nil
}

func writeReport(file, display string, stdout io.Writer, rep *task.Report) error {
	if display == "-" {
		return writeJSON(stdout, rep)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("--json: %w", err)
	}
	if err := writeJSON(f, rep); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
