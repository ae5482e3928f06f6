package supervisor

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Sink receives the output of child processes, one writer per process.
type Sink interface {
	// Writer returns where the named process's output goes. Close is
	// called when the process has exited.
	Writer(name string) (io.WriteCloser, error)
}

// Prefixed interleaves every process's lines on one writer, each line
// prefixed with the process name padded to width (and coloured when color
// is true). Lines are never split between processes.
type Prefixed struct {
	mu    sync.Mutex
	out   io.Writer
	color bool
	width int
	next  int
	hue   map[string]int
}

// NewPrefixed returns a sink writing to out.
func NewPrefixed(out io.Writer, color bool, width int) *Prefixed {
	return &Prefixed{out: out, color: color, width: width, hue: map[string]int{}}
}

var _ Sink = (*Prefixed)(nil)

// palette holds ANSI foreground colours that read on light and dark
// terminals.
var palette = []int{36, 33, 35, 32, 34, 31, 96, 93, 95, 92}

// Writer implements Sink.
func (p *Prefixed) Writer(name string) (io.WriteCloser, error) {
	p.mu.Lock()
	h, ok := p.hue[name]
	if !ok {
		h = palette[p.next%len(palette)]
		p.next++
		p.hue[name] = h
	}
	p.mu.Unlock()
	prefix := fmt.Sprintf("%-*s | ", p.width, name)
	if p.color {
		prefix = fmt.Sprintf("\x1b[%dm%-*s |\x1b[0m ", h, p.width, name)
	}
	return &lineWriter{emit: func(line []byte) {
		p.mu.Lock()
		defer p.mu.Unlock()
		_, _ = io.WriteString(p.out, prefix)
		_, _ = p.out.Write(line)
		_, _ = p.out.Write([]byte{'\n'})
	}}, nil
}

// Dir writes each process's output to DIR/<name>.log (appending, so a
// restarted process continues its file).
type Dir string

var _ Sink = Dir("")

// Writer implements Sink.
func (d Dir) Writer(name string) (io.WriteCloser, error) {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(string(d), name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log file for %s: %w", name, err)
	}
	return f, nil
}

// Discard drops all output (the tail kept for crash reports still works).
type Discard struct{}

// Writer implements Sink.
func (Discard) Writer(string) (io.WriteCloser, error) { return nopCloser{io.Discard}, nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// lineWriter calls emit for every complete line written to it; Close emits
// a trailing partial line.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func([]byte)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(bytes.TrimSuffix(w.buf[:i], []byte{'\r'}))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a runaway line without newline
		w.emit(w.buf)
		w.buf = w.buf[:0]
	}
	return len(b), nil
}

func (w *lineWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(w.buf)
		w.buf = nil
	}
	return nil
}

// tail keeps the last n lines written through it.
type tail struct {
	mu    sync.Mutex
	n     int
	lines []string
}

func (t *tail) add(line []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, string(line))
	if len(t.lines) > t.n {
		t.lines = t.lines[len(t.lines)-t.n:]
	}
}

func (t *tail) get() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines...)
}
