// Package benchkit holds what Centuria's side-by-side benchmarks share:
// timing a command with its peak RSS, summarising rounds, printing tables,
// and installing Nx from npm to measure it in the same run.
package benchkit

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

// Sample is one timed run.
type Sample struct {
	Wall   time.Duration
	RSSKiB int64
	Stdout []byte
	Stderr []byte
}

// Measure runs argv in dir with env and records wall time and the peak
// resident set size the kernel reports for the process. On Linux a child's
// peak RSS starts at this process's own peak (exec keeps the high-water mark
// of the address space it replaces), so Measure keeps this process small:
// stdout is discarded unless capture is set, and the high-water mark is
// reset before every run. RSSFloor measures what remains of that bias.
func Measure(ctx context.Context, dir string, env, argv []string, capture bool) (Sample, error) {
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
		return Sample{}, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, msg)
	}
	return Sample{Wall: wall, RSSKiB: maxRSSKiB(cmd.ProcessState), Stdout: stdout.Bytes(), Stderr: stderr.buf}, nil
}

// Stats summarises the samples of one command.
type Stats struct {
	Median, Min, Max time.Duration
	PeakKiB          int64
	N                int
}

// Summarise returns the median, extremes and peak RSS of samples.
func Summarise(s []Sample) Stats {
	if len(s) == 0 {
		return Stats{}
	}
	walls := make([]time.Duration, len(s))
	var peak int64
	for i, x := range s {
		walls[i] = x.Wall
		peak = max(peak, x.RSSKiB)
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	med := walls[len(walls)/2]
	if len(walls)%2 == 0 {
		med = (walls[len(walls)/2-1] + walls[len(walls)/2]) / 2
	}
	return Stats{Median: med, Min: walls[0], Max: walls[len(walls)-1], PeakKiB: peak, N: len(s)}
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

// RSSFloor measures a no-op command the way Measure does: peak RSS figures
// at or below it only say "at most this much".
func RSSFloor(ctx context.Context, env []string) int64 {
	runtime.GC()
	debug.FreeOSMemory()
	truePath, err := exec.LookPath("true")
	if err != nil {
		return 0
	}
	s, err := Measure(ctx, os.TempDir(), env, []string{truePath}, false)
	if err != nil {
		return 0
	}
	return s.RSSKiB
}

// Ms formats a duration in milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// MiB formats KiB as MiB.
func MiB(kib int64) string { return fmt.Sprintf("%d MiB", (kib+512)/1024) }
