package task

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// OutputMode says how task output is shown.
type OutputMode string

// Output modes.
const (
	// OutputStream prints each line as it comes, prefixed with the task id.
	OutputStream OutputMode = "stream"
	// OutputGrouped prints a task's whole output when it finishes.
	OutputGrouped OutputMode = "grouped"
)

// ParseOutputMode validates an --output value.
func ParseOutputMode(s string) (OutputMode, error) {
	switch OutputMode(s) {
	case OutputStream, OutputGrouped:
		return OutputMode(s), nil
	}
	return "", fmt.Errorf("unknown output mode %q (want stream or grouped)", s)
}

// Printer shows task output, status lines, an optional live progress line
// (for terminals) and the summary. It is safe for concurrent use.
type Printer struct {
	mode     OutputMode
	out, err io.Writer
	progress bool

	mu       sync.Mutex
	total    int
	finished int
	running  map[string]bool
	drawn    bool
}

// NewPrinter returns a printer writing task output to out and status to err.
func NewPrinter(out, err io.Writer, mode OutputMode, progress bool) *Printer {
	return &Printer{mode: mode, out: out, err: err, progress: progress, running: map[string]bool{}}
}

// Start announces the number of tasks.
func (p *Printer) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
	p.redraw()
}

// Begin notes that a task started executing.
func (p *Printer) Begin(t *Task) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[t.ID] = true
	p.redraw()
}

// Done prints a task's status line.
func (p *Printer) Done(r *Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, r.ID)
	p.finished++
	p.clear()
	switch r.Status {
	case StatusRan:
		fmt.Fprintf(p.err, "✓ %s (%s)\n", r.ID, round(r.Duration))
	case StatusCached:
		fmt.Fprintf(p.err, "✓ %s (cached, saved %s)\n", r.ID, round(r.Saved))
	case StatusFailed:
		fmt.Fprintf(p.err, "✗ %s failed: %s\n", r.ID, r.Error)
	case StatusSkipped:
		fmt.Fprintf(p.err, "- %s skipped: %s\n", r.ID, r.Error)
	}
	p.redraw()
}

// Warn prints a warning line.
func (p *Printer) Warn(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.err, "warning: "+format+"\n", args...)
	p.redraw()
}

// Note prints an informational line.
func (p *Printer) Note(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintln(p.err, line)
	p.redraw()
}

// Summary prints the run's totals.
func (p *Printer) Summary(r *Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.err, "\n%d tasks: %d ran, %d cached, %d failed, %d skipped in %s", len(r.Tasks), r.Ran, r.Cached, r.Failed, r.Skipped, round(r.Duration))
	if r.TimeSaved > 0 {
		fmt.Fprintf(p.err, " (time saved: %s)", round(r.TimeSaved))
	}
	fmt.Fprintln(p.err)
	var failed []string
	for _, t := range r.Tasks {
		if t.Status == StatusFailed {
			failed = append(failed, t.ID)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(p.err, "failed: %s\n", strings.Join(failed, ", "))
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d
}

// clear erases the progress line (callers hold mu).
func (p *Printer) clear() {
	if p.progress && p.drawn {
		fmt.Fprint(p.err, "\r\033[K")
		p.drawn = false
	}
}

// redraw shows the progress line (callers hold mu).
func (p *Printer) redraw() {
	if !p.progress || p.total == 0 {
		return
	}
	names := make([]string, 0, len(p.running))
	for n := range p.running {
		names = append(names, n)
	}
	sort.Strings(names)
	line := fmt.Sprintf("[%d/%d]", p.finished, p.total)
	if len(names) > 0 {
		line += " running " + strings.Join(names, ", ")
	}
	if len(line) > 100 {
		line = line[:97] + "..."
	}
	fmt.Fprint(p.err, "\r\033[K"+line)
	p.drawn = true
}

// TaskOutput are the writers of one task's output; Flush prints what is
// buffered (grouped mode, or a last partial line).
type TaskOutput struct {
	Stdout, Stderr io.Writer
	Flush          func()
}

// Writers returns the output writers of a task.
func (p *Printer) Writers(t *Task) TaskOutput {
	if p.mode == OutputGrouped {
		var buf bytes.Buffer
		var bmu sync.Mutex
		w := lockedWriter{&bmu, &buf}
		return TaskOutput{Stdout: w, Stderr: w, Flush: func() {
			bmu.Lock()
			defer bmu.Unlock()
			if buf.Len() == 0 {
				return
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			p.clear()
			fmt.Fprintf(p.out, "> %s\n", t.ID)
			p.out.Write(buf.Bytes())
			if !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
				fmt.Fprintln(p.out)
			}
			buf.Reset()
			p.redraw()
		}}
	}
	out := &prefixWriter{p: p, w: p.out, prefix: t.ID + " | "}
	errw := &prefixWriter{p: p, w: p.out, prefix: t.ID + " | "}
	return TaskOutput{Stdout: out, Stderr: errw, Flush: func() { out.flush(); errw.flush() }}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// prefixWriter prints complete lines with a prefix.
type prefixWriter struct {
	p      *Printer
	w      io.Writer
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

func (w *prefixWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(append(w.buf, '\n'))
		w.buf = nil
	}
}

func (w *prefixWriter) emit(line []byte) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.p.clear()
	io.WriteString(w.w, w.prefix)
	w.w.Write(line)
	w.p.redraw()
}
