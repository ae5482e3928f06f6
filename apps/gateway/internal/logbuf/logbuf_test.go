package logbuf_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centuria/centuria/apps/gateway/internal/logbuf"
)

// lockedBuffer records each underlying write.
type lockedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.buf.Write(p)
}

func (l *lockedBuffer) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String(), l.writes
}

func TestLinesStayWholeAndAreBatched(t *testing.T) {
	out := &lockedBuffer{}
	w := logbuf.New(out, 1024, time.Hour)
	line := strings.Repeat("x", 99) + "\n"
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				_, _ = w.Write([]byte(line))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, writes := out.snapshot()
	if len(s) != 400*len(line) || strings.Count(s, line) != 400 {
		t.Fatalf("got %d bytes, %d whole lines", len(s), strings.Count(s, line))
	}
	// 10 lines fit in 1 KiB: about 40 writes, never one per line.
	if writes > 45 {
		t.Fatalf("%d underlying writes for 400 lines", writes)
	}
}

func TestPeriodicFlush(t *testing.T) {
	out := &lockedBuffer{}
	w := logbuf.New(out, 64<<10, 10*time.Millisecond)
	defer w.Close()
	_, _ = w.Write([]byte("one line\n"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, _ := out.snapshot(); s == "one line\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("buffered line never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
