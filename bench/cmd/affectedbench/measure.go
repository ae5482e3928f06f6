package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// tool is one measured command.
type tool struct {
	name string
	argv []string
	// peer marks the command the others are compared with.
	peer bool
	// short names the command in the accuracy report.
	short string
	// parse, when set, reads the affected project names from the
	// command's standard output, which is then kept.
	parse func([]byte) ([]string, error)
}

// sample is one timed run.
type sample struct {
	wall   time.Duration
	rssKiB int64
	stdout []byte
}

// measure runs argv in dir and records wall time and the peak resident set
// size the kernel reports for the process. On Linux a child's peak RSS
// starts at this process's own peak (exec keeps the high-water mark of the
// address space it replaces), so measure keeps this process small: output
// is discarded unless capture is set, and the high-water mark is reset
// before every run. rssFloor measures what remains of that bias.
func measure(ctx context.Context, dir string, env, argv []string, capture bool) (sample, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout bytes.Buffer
	var stderr tailBuffer
	if capture {
		cmd.Stdout = &stdout
	}
	cmd.Stderr = &stderr
	resetPeakRSS()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		msg := strings.TrimSpace(string(stderr.buf))
		return sample{}, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, msg)
	}
	return sample{wall: wall, rssKiB: maxRSSKiB(cmd.ProcessState), stdout: stdout.Bytes()}, nil
}

// stats summarises the samples of one command.
type stats struct {
	median, min, max time.Duration
	peakKiB          int64
	n                int
}

func summarise(s []sample) stats {
	if len(s) == 0 {
		return stats{}
	}
	walls := make([]time.Duration, len(s))
	var peak int64
	for i, x := range s {
		walls[i] = x.wall
		peak = max(peak, x.rssKiB)
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	med := walls[len(walls)/2]
	if len(walls)%2 == 0 {
		med = (walls[len(walls)/2-1] + walls[len(walls)/2]) / 2
	}
	return stats{median: med, min: walls[0], max: walls[len(walls)-1], peakKiB: peak, n: len(s)}
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ buf []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-4096:]...)
	}
	return len(p), nil
}

// rssFloor measures a no-op command the way measure does: peak RSS figures
// at or below it only say "at most this much".
func rssFloor(ctx context.Context, env []string) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	truePath, err := exec.LookPath("true")
	if err != nil {
		return 0
	}
	s, err := measure(ctx, os.TempDir(), env, []string{truePath}, false)
	if err != nil {
		return 0
	}
	return s.rssKiB
}
