package cache_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

// helperEnv names the cache directory a re-executed test binary works on.
const helperEnv = "CENT_CACHE_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		if err := hammer(dir, os.Getenv("CENT_CACHE_TEST_HELPER_ID")); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// sharedKeys are the keys every worker saves and restores; their content
// depends only on the key, as a deterministic task's would.
const sharedKeys = 6

func sharedResult(root string, i int) cache.Result {
	return cache.Result{
		Stdout:  bytes.Repeat([]byte(fmt.Sprintf("task %d\n", i)), 100),
		Root:    root,
		Outputs: []string{"out"},
		Inputs:  map[string]string{"task": strconv.Itoa(i)},
	}
}

func sharedFiles(i int) []cachetest.File {
	return []cachetest.File{
		{Path: "out/bin", Mode: 0o755, Data: bytes.Repeat([]byte{byte(i)}, 200<<10+i)},
		{Path: "out/common.txt", Mode: 0o644, Data: []byte("shared by every task\n")},
	}
}

// hammer saves, looks up and restores the shared keys repeatedly in the
// cache at dir, failing on any warning, error, miss after save or wrong
// restore.
func hammer(dir, id string) error {
	ctx := context.Background()
	w := &cachetest.Warnings{}
	c, err := cache.Open(ctx, cache.Options{Dir: dir, Warn: w.Warn})
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "hammer-"+id+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for round := range 8 {
		for i := range sharedKeys {
			key := cache.Sum([]byte(fmt.Sprintf("shared key %d", i)))
			src := filepath.Join(work, fmt.Sprintf("src-%d-%d", round, i))
			if err := writeFiles(src, sharedFiles(i)); err != nil {
				return err
			}
			if _, err := c.Save(ctx, key, sharedResult(src, i)); err != nil {
				return fmt.Errorf("save %d: %w", i, err)
			}
			e, err := c.Lookup(ctx, key)
			if err != nil {
				return fmt.Errorf("lookup %d after save: %w (warnings: %s)", i, err, w)
			}
			dst := filepath.Join(work, fmt.Sprintf("dst-%d-%d", round, i))
			var out bytes.Buffer
			if err := c.Restore(ctx, e, dst, &out, nil); err != nil {
				return fmt.Errorf("restore %d: %w", i, err)
			}
			if err := checkFiles(dst, sharedFiles(i)); err != nil {
				return err
			}
			if !bytes.Equal(out.Bytes(), sharedResult("", i).Stdout) {
				return fmt.Errorf("task %d: wrong stdout", i)
			}
			if err := c.RecordRun(ctx, "task", key); err != nil {
				return err
			}
			if _, err := c.LastRun(ctx, "task"); err != nil {
				return fmt.Errorf("last run: %w", err)
			}
		}
	}
	if w.Len() != 0 {
		return fmt.Errorf("warnings: %s", w)
	}
	return nil
}

func writeFiles(root string, files []cachetest.File) error {
	for _, f := range files {
		p := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

func checkFiles(root string, files []cachetest.File) error {
	for _, f := range files {
		p := filepath.Join(root, f.Path)
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, f.Data) || fi.Mode().Perm() != f.Mode {
			return fmt.Errorf("%s restored wrong (%d bytes, mode %v)", f.Path, len(got), fi.Mode().Perm())
		}
	}
	return nil
}

// TestConcurrentGoroutines hammers one cache from several goroutines.
func TestConcurrentGoroutines(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- hammer(dir, strconv.Itoa(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestConcurrentProcesses runs the same workload in three processes (this
// test binary, re-executed) sharing one cache directory.
func TestConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir, "CENT_CACHE_TEST_HELPER_ID="+strconv.Itoa(i))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	c, w := cachetest.NewCache(t, nil, func(o *cache.Options) { o.Dir = dir })
	st, err := c.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Six entries; six bins, one shared text file, six stdouts, one empty stderr.
	if st.Entries != sharedKeys || st.Blobs != 2*sharedKeys+2 {
		t.Fatalf("after concurrent processes: %+v", st)
	}
	if w.Len() != 0 {
		t.Fatal(w)
	}
}
