package cache_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

// benchShapes are typical cached tasks: a test run (logs only), a lint or
// codegen task (a few small files) and a service build (one binary).
var benchShapes = []struct {
	name  string
	files []int // output sizes
}{
	{"logs-only", nil},
	{"3x16KiB", []int{16 << 10, 16 << 10, 16 << 10}},
	{"1x8MiB", []int{8 << 20}},
}

// BenchmarkLookupRestore measures the cost of a cache hit for one task:
// Lookup of the entry (with blob presence checks) plus a verified, atomic
// Restore of its outputs and logs. The floor it is compared with, in the
// same iterations, is a plain copy of the same files without hashing,
// staging or entry decoding.
func BenchmarkLookupRestore(b *testing.B) {
	for _, shape := range benchShapes {
		c, _ := cachetest.NewCache(b, nil, nil)
		src := b.TempDir()
		var files []cachetest.File
		var outputs []string
		for i, n := range shape.files {
			p := fmt.Sprintf("out/f%d", i)
			files = append(files, cachetest.File{Path: p, Mode: 0o755, Data: cachetest.RandomBytes(b, n)})
			outputs = append(outputs, p)
		}
		cachetest.WriteFiles(b, src, files)
		key := cachetest.RandomDigest(b)
		_, err := c.Save(ctx, key, cache.Result{
			Stdout:  []byte("ok  \texample.com/pkg\t0.123s\n"),
			Root:    src,
			Outputs: outputs,
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, warm := range []bool{true, false} {
			name := shape.name + "/cold"
			if warm {
				name = shape.name + "/warm"
			}
			b.Run(name, func(b *testing.B) { benchHit(b, c, key, src, files, warm) })
		}
	}
}

// benchHit alternates a cache hit and the plain-copy floor in each
// iteration and reports both, and their ratio, per task. Warm restores
// over outputs already in place (a re-run); cold restores into an empty
// directory (a fresh checkout).
func benchHit(b *testing.B, c *cache.Cache, key cache.Digest, src string, files []cachetest.File, warm bool) {
	var centTime, copyTime time.Duration
	dst, cp := b.TempDir(), b.TempDir()
	for b.Loop() {
		if !warm {
			b.StopTimer()
			os.RemoveAll(dst)
			os.RemoveAll(cp)
			b.StartTimer()
		}
		start := time.Now()
		e, err := c.Lookup(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Restore(ctx, e, dst, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		for _, f := range files {
			if err := copyFile(filepath.Join(src, f.Path), filepath.Join(cp, f.Path)); err != nil {
				b.Fatal(err)
			}
		}
		centTime += mid.Sub(start)
		copyTime += time.Since(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(centTime.Microseconds())/n, "cent-µs/task")
	b.ReportMetric(float64(copyTime.Microseconds())/n, "copy-µs/task")
	if copyTime > 0 {
		b.ReportMetric(float64(centTime)/float64(copyTime), "cent/copy")
	}
	b.ReportMetric(0, "ns/op") // the two metrics above split the time
}

func copyFile(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
