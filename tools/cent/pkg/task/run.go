package task

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

// Cache is what the runner needs of a task cache.
type Cache interface {
	Lookup(ctx context.Context, key cache.Digest) (*cache.Entry, error)
	Restore(ctx context.Context, e *cache.Entry, root string, stdout, stderr io.Writer) error
	Save(ctx context.Context, key cache.Digest, r cache.Result) (*cache.Entry, error)
	RecordRun(ctx context.Context, taskID string, key cache.Digest) error
}

var _ Cache = (*cache.Cache)(nil)

// Status is a task's outcome.
type Status string

// Task outcomes.
const (
	StatusRan     Status = "ran"     // executed and succeeded
	StatusCached  Status = "cached"  // restored from the cache
	StatusFailed  Status = "failed"  // executed and failed (or was interrupted)
	StatusSkipped Status = "skipped" // not run: a dependency failed or the run stopped
)

// Result is one task's outcome.
type Result struct {
	ID       string        `json:"id"`
	Project  string        `json:"project"`
	Target   string        `json:"target"`
	Status   Status        `json:"status"`
	Key      string        `json:"key"`
	Command  string        `json:"command"`
	ExitCode int           `json:"exitCode"`
	Duration time.Duration `json:"durationNs"`
	// Saved is the original run time of a cached result.
	Saved time.Duration `json:"savedNs,omitempty"`
	Error string        `json:"error,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Tasks     []Result      `json:"tasks"`
	Ran       int           `json:"ran"`
	Cached    int           `json:"cached"`
	Failed    int           `json:"failed"`
	Skipped   int           `json:"skipped"`
	Duration  time.Duration `json:"durationNs"`
	TimeSaved time.Duration `json:"timeSavedNs"`
}

// OK reports whether every task ran or was restored.
func (r *Report) OK() bool { return r.Failed == 0 && r.Skipped == 0 }

// RunOptions configure Run.
type RunOptions struct {
	// Parallel is the number of tasks run at once (default: GOMAXPROCS).
	Parallel int
	// KeepGoing runs every task whose dependencies succeeded, even after a
	// failure; otherwise no new task starts after the first failure.
	KeepGoing bool
	// Printer shows task output and progress (required).
	Printer *Printer
	// Env is the environment of commands (default os.Environ()).
	Env []string
	// SkipCacheRead runs every task, still saving results.
	SkipCacheRead bool
	// OnMiss, when set, is called before a cacheable task runs; the line it
	// returns (if any) is printed, to explain why it was not in the cache.
	OnMiss func(ctx context.Context, t *Task) string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Run executes the plan's tasks in dependency order, in parallel, restoring
// cached results where the key is known. It returns a report for every task.
// An interrupted context stops running commands (their process groups are
// signalled) and saves nothing for them.
func Run(ctx context.Context, p *Plan, root string, c Cache, o RunOptions) *Report {
	if o.Parallel <= 0 {
		o.Parallel = runtime.GOMAXPROCS(0)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	start := o.Now()
	r := &runner{ctx: ctx, plan: p, root: root, cache: c, o: o,
		results: map[string]*Result{}, pending: map[string]int{}, dependents: map[string][]*Task{}}
	r.schedule()
	rep := &Report{Duration: o.Now().Sub(start)}
	for _, t := range p.Tasks {
		res := r.results[t.ID]
		rep.Tasks = append(rep.Tasks, *res)
		switch res.Status {
		case StatusRan:
			rep.Ran++
		case StatusCached:
			rep.Cached++
			rep.TimeSaved += res.Saved
		case StatusFailed:
			rep.Failed++
		case StatusSkipped:
			rep.Skipped++
		}
	}
	o.Printer.Summary(rep)
	return rep
}

type runner struct {
	ctx   context.Context
	plan  *Plan
	root  string
	cache Cache
	o     RunOptions

	ready chan *Task
	done  chan struct{}

	mu         sync.Mutex
	results    map[string]*Result
	pending    map[string]int // task id -> unfinished deps
	dependents map[string][]*Task
	skipped    map[string]bool
	remaining  int
	stopped    bool
}

func (r *runner) schedule() {
	r.remaining = len(r.plan.Tasks)
	if r.remaining == 0 {
		return
	}
	r.skipped = map[string]bool{}
	r.ready = make(chan *Task, len(r.plan.Tasks))
	r.done = make(chan struct{})
	for _, t := range r.plan.Tasks {
		r.pending[t.ID] = len(t.Deps)
		for _, d := range t.Deps {
			r.dependents[d.ID] = append(r.dependents[d.ID], t)
		}
	}
	r.o.Printer.Start(len(r.plan.Tasks))
	for _, t := range r.plan.Tasks {
		if len(t.Deps) == 0 {
			r.ready <- t
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < r.o.Parallel; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case t := <-r.ready:
					r.finish(t, r.runTask(t))
				case <-r.done:
					return
				}
			}
		}()
	}
	wg.Wait()
}

// finish records a task's result and releases its dependents: they are
// queued when all their dependencies succeeded, and skipped (once) when one
// did not.
func (r *runner) finish(t *Task, res *Result) {
	r.mu.Lock()
	r.results[t.ID] = res
	r.remaining--
	ok := res.Status == StatusRan || res.Status == StatusCached
	if res.Status == StatusFailed && !r.o.KeepGoing {
		r.stopped = true
	}
	var next, skip []*Task
	for _, dt := range r.dependents[t.ID] {
		r.pending[dt.ID]--
		switch {
		case r.skipped[dt.ID]:
		case !ok:
			r.skipped[dt.ID] = true
			skip = append(skip, dt)
		case r.pending[dt.ID] == 0:
			next = append(next, dt)
		}
	}
	last := r.remaining == 0
	r.mu.Unlock()
	r.o.Printer.Done(res)
	for _, dt := range skip {
		r.finish(dt, r.result(dt, StatusSkipped, "dependency "+t.ID+" did not succeed"))
	}
	for _, dt := range next {
		r.ready <- dt
	}
	if last {
		close(r.done)
	}
}

func (r *runner) result(t *Task, s Status, errMsg string) *Result {
	return &Result{ID: t.ID, Project: t.Project.Name, Target: t.Target, Status: s, Key: t.Key.String(), Command: t.Command, Error: errMsg}
}

func (r *runner) runTask(t *Task) *Result {
	r.mu.Lock()
	stopped := r.stopped
	r.mu.Unlock()
	if stopped || r.ctx.Err() != nil {
		return r.result(t, StatusSkipped, "the run stopped")
	}
	out := r.o.Printer.Writers(t)
	cacheable := t.Def.Cacheable() && r.cache != nil
	if cacheable && !r.o.SkipCacheRead {
		e, err := r.cache.Lookup(r.ctx, t.Key)
		if err == nil {
			rerr := r.cache.Restore(r.ctx, e, r.root, out.Stdout, out.Stderr)
			out.Flush()
			if rerr == nil {
				res := r.result(t, StatusCached, "")
				res.ExitCode, res.Saved = e.ExitCode, e.Duration
				return res
			}
			r.o.Printer.Warn("%s: cached result could not be restored, running it: %v", t.ID, rerr)
		} else if !errors.Is(err, cache.ErrNotFound) {
			r.o.Printer.Warn("%s: cache lookup: %v", t.ID, err)
		}
		if r.o.OnMiss != nil {
			if line := r.o.OnMiss(r.ctx, t); line != "" {
				r.o.Printer.Note(line)
			}
		}
	}
	r.o.Printer.Begin(t)
	start := r.o.Now()
	var stdout, stderr bytes.Buffer
	code, err := r.exec(t, io.MultiWriter(&stdout, out.Stdout), io.MultiWriter(&stderr, out.Stderr))
	out.Flush()
	res := r.result(t, StatusRan, "")
	res.Duration = r.o.Now().Sub(start)
	res.ExitCode = code
	if err != nil || code != 0 {
		res.Status = StatusFailed
		if err != nil {
			res.Error = err.Error()
		} else {
			res.Error = fmt.Sprintf("exit status %d", code)
		}
		return res
	}
	if r.ctx.Err() != nil { // interrupted after a clean exit: save nothing
		res.Status, res.Error = StatusFailed, "interrupted"
		return res
	}
	if cacheable {
		_, err := r.cache.Save(r.ctx, t.Key, cache.Result{
			ExitCode: code, Duration: res.Duration, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(),
			Root: r.root, Outputs: t.Outputs, Inputs: t.Inputs,
		})
		if err != nil {
			r.o.Printer.Warn("%s: saving to the cache: %v", t.ID, err)
		} else if err := r.cache.RecordRun(r.ctx, t.ID, t.Key); err != nil {
			r.o.Printer.Warn("%s: recording the run: %v", t.ID, err)
		}
	}
	return res
}

// exec runs the task's command with sh in its own process group, which is
// signalled when the context ends.
func (r *runner) exec(t *Task, stdout, stderr io.Writer) (int, error) {
	cmd := exec.CommandContext(r.ctx, "sh", "-c", t.Command)
	cmd.Dir = r.root
	cmd.Env = r.o.Env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if r.ctx.Err() != nil {
		return -1, fmt.Errorf("interrupted: %w", r.ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}
