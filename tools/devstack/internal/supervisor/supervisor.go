// Package supervisor runs the platform's services as child processes: their
// output goes to a Sink (interleaved with a prefix, or one file each) and the
// last lines are kept, so an unexpected exit can be reported with them.
// Processes are stopped with SIGTERM, then SIGKILL after a grace period.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// TailLines is how many of its last output lines each process keeps.
const TailLines = 30

// Spec describes a child process.
type Spec struct {
	Name string
	Path string
	Args []string
	// Env is the complete environment of the process.
	Env []string
	Dir string
}

// Exit reports a process that ended without being asked to.
type Exit struct {
	Name string
	// Err is the process's exit error (nil for a clean exit, which is still
	// unexpected).
	Err error
	// Tail holds the process's last output lines.
	Tail []string
}

func (e Exit) String() string {
	status := "exited"
	if e.Err != nil {
		status = e.Err.Error()
	}
	return fmt.Sprintf("%s stopped unexpectedly (%s)", e.Name, status)
}

// Process is one run of a child process.
type Process struct {
	spec     Spec
	cmd      *exec.Cmd
	tail     *tail
	out      io.WriteCloser
	done     chan struct{}
	err      error
	mu       sync.Mutex
	intended bool
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited and its output is flushed.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns the exit error once Done is closed.
func (p *Process) Err() error {
	<-p.done
	return p.err
}

// Tail returns the last output lines.
func (p *Process) Tail() []string { return p.tail.get() }

func (p *Process) expect() {
	p.mu.Lock()
	p.intended = true
	p.mu.Unlock()
}

func (p *Process) wasIntended() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.intended
}

// stop sends SIGTERM and waits for the exit; when ctx ends first it sends
// SIGKILL and waits again.
func (p *Process) stop(ctx context.Context) error {
	p.expect()
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", p.spec.Name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("stopping %s: did not exit after SIGTERM, killed", p.spec.Name)
}

func (p *Process) kill() {
	p.expect()
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Group supervises named processes. It is safe for concurrent use.
type Group struct {
	sink    Sink
	mu      sync.Mutex
	procs   map[string]*Process
	order   []string
	crashes chan Exit
}

// New returns an empty group whose processes write to sink.
func New(sink Sink) *Group {
	return &Group{sink: sink, procs: map[string]*Process{}, crashes: make(chan Exit, 64)}
}

// Crashed delivers every process that exits without Stop, Kill or Restart.
func (g *Group) Crashed() <-chan Exit { return g.crashes }

// Start starts a process. The name must be unique in the group unless the
// previous process of that name has exited.
func (g *Group) Start(spec Spec) (*Process, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old, ok := g.procs[spec.Name]; ok {
		select {
		case <-old.done:
		default:
			return nil, fmt.Errorf("starting %s: already running (pid %d)", spec.Name, old.Pid())
		}
	}
	p, err := g.start(spec)
	if err != nil {
		return nil, err
	}
	if _, ok := g.procs[spec.Name]; !ok {
		g.order = append(g.order, spec.Name)
	}
	g.procs[spec.Name] = p
	return p, nil
}

func (g *Group) start(spec Spec) (*Process, error) {
	out, err := g.sink.Writer(spec.Name)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", spec.Name, err)
	}
	t := &tail{n: TailLines}
	lw := &lineWriter{emit: func(line []byte) {
		t.add(line)
		_, _ = out.Write(append(line, '\n'))
	}}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = spec.Env
	cmd.Dir = spec.Dir
	cmd.Stdout = lw
	cmd.Stderr = lw
	cmd.SysProcAttr = sysProcAttr()
	// A grandchild holding the output pipe must not block Wait forever.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", spec.Name, spec.Path, err)
	}
	p := &Process{spec: spec, cmd: cmd, tail: t, out: out, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		lw.Close()
		out.Close()
		p.err = err
		close(p.done)
		if !p.wasIntended() {
			g.crashes <- Exit{Name: spec.Name, Err: err, Tail: t.get()}
		}
	}()
	return p, nil
}

// Process returns the current process of that name, or nil.
func (g *Group) Process(name string) *Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.procs[name]
}

// Names returns the process names in the order they were first started.
func (g *Group) Names() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.order...)
}

// Kill sends SIGKILL to the named process and waits for it to exit; the
// exit is not reported as a crash.
func (g *Group) Kill(name string) error {
	p := g.Process(name)
	if p == nil {
		return fmt.Errorf("kill %s: no such process", name)
	}
	p.kill()
	return nil
}

// Restart starts the named process again with the same spec; the previous
// one is killed first if it still runs.
func (g *Group) Restart(name string) (*Process, error) {
	p := g.Process(name)
	if p == nil {
		return nil, fmt.Errorf("restart %s: no such process", name)
	}
	p.kill()
	return g.Start(p.spec)
}

// Stop stops the named processes concurrently: SIGTERM, then SIGKILL for
// those still running when ctx ends. It returns the errors joined.
func (g *Group) Stop(ctx context.Context, names ...string) error {
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, n := range names {
		p := g.Process(n)
		if p == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.stop(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// StopAll stops every process, all at once, with the same rules as Stop.
func (g *Group) StopAll(ctx context.Context) error {
	return g.Stop(ctx, g.Names()...)
}
