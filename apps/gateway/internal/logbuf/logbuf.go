// Package logbuf is a buffered log writer for the access log: lines are
// copied into a buffer and written out when it fills, every flush interval,
// and on Close, so a busy gateway makes one write per buffer instead of one
// per request (nginx's access_log buffer= and flush=).
package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Writer buffers writes to an underlying writer. It is safe for concurrent
// use; each Write is kept whole (a line is never split between flushes
// unless it is larger than the buffer).
type Writer struct {
	mu   sync.Mutex
	bw   *bufio.Writer
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New returns a Writer with a buffer of size bytes over w that flushes
// every interval until Close.
func New(w io.Writer, size int, interval time.Duration) *Writer {
	b := &Writer{bw: bufio.NewWriterSize(w, size), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run(interval)
	return b
}

func (b *Writer) run(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			_ = b.Flush()
		}
	}
}

// Write implements io.Writer. A line that does not fit in what is left of
// the buffer flushes the buffer first.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(p) > b.bw.Available() && b.bw.Buffered() > 0 {
		if err := b.bw.Flush(); err != nil {
			return 0, err
		}
	}
	return b.bw.Write(p)
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bw.Flush()
}

// Close stops the periodic flush and flushes what is left.
func (b *Writer) Close() error {
	b.once.Do(func() { close(b.stop) })
	<-b.done
	return b.Flush()
}
