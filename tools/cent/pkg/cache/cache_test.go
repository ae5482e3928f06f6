package cache_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

var ctx = context.Background()

func TestSaveLookupRestore(t *testing.T) {
	c, w := cachetest.NewCache(t, nil, nil)
	key, files, res := cachetest.SaveSample(t, c)
	e, err := c.Lookup(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	// Restoring over stale files replaces them.
	root := t.TempDir()
	stale := []cachetest.File{{Path: "bin/tool", Mode: 0o600, Data: []byte("stale")}}
	cachetest.WriteFiles(t, root, stale)
	var out, errOut bytes.Buffer
	if err := c.Restore(ctx, e, root, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	cachetest.CheckFiles(t, root, files)
	if out.String() != string(res.Stdout) || errOut.String() != string(res.Stderr) {
		t.Fatalf("logs = %q, %q", out.String(), errOut.String())
	}
	// Identical outputs are stored once.
	st, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 1 || st.Blobs != len(files)-1+2 {
		t.Fatalf("stats = %+v, want 1 entry and %d blobs", st, len(files)-1+2)
	}
	if w.Len() != 0 {
		t.Fatalf("warnings: %s", w)
	}
	if _, err := c.Lookup(ctx, cachetest.RandomDigest(t)); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("miss: %v", err)
	}
}

func TestSaveGlobsAndBadOutputs(t *testing.T) {
	c, w := cachetest.NewCache(t, nil, nil)
	root := t.TempDir()
	cachetest.WriteFiles(t, root, []cachetest.File{
		{Path: "out/a.txt", Mode: 0o644, Data: []byte("a")},
		{Path: "out/b.txt", Mode: 0o644, Data: []byte("b")},
		{Path: "out/c.bin", Mode: 0o644, Data: []byte("c")},
	})
	cachetest.WriteFiles(t, root, []cachetest.File{{Path: "gen/x/y/deep.pb.go", Mode: 0o644, Data: []byte("p")}})
	e, err := c.Save(ctx, cachetest.RandomDigest(t), cache.Result{Root: root, Outputs: []string{"out/*.txt", "missing/*", "gen/**/*.pb.go"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range e.Outputs {
		got = append(got, o.Path)
	}
	if strings.Join(got, ",") != "gen/x/y/deep.pb.go,out/a.txt,out/b.txt" {
		t.Fatalf("outputs = %v", got)
	}
	if !strings.Contains(w.String(), "missing/*") {
		t.Fatalf("no warning about the pattern matching nothing: %q", w)
	}
	for _, bad := range []string{"../escape", "/etc/passwd", "a/../../b"} {
		_, err := c.Save(ctx, cachetest.RandomDigest(t), cache.Result{Root: root, Outputs: []string{bad}})
		if !errors.Is(err, cache.ErrInvalidOption) {
			t.Errorf("output %q: error = %v, want ErrInvalidOption", bad, err)
		}
	}
}

func TestCorruptLocalEntryIsAMiss(t *testing.T) {
	c, w := cachetest.NewCache(t, nil, nil)
	key, _, _ := cachetest.SaveSample(t, c)
	p := c.Local().Path(cache.AC, key)
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, raw[:len(raw)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lookup(ctx, key); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("truncated entry: %v", err)
	}
	if !strings.Contains(w.String(), key.String()) {
		t.Fatalf("no warning: %q", w)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("corrupt entry was left in place")
	}
}

// TestCorruptBlobRestoresNothing flips a byte in one output's local blob:
// the restore must fail, warn, leave no output (not even the intact ones)
// and write no log.
func TestCorruptBlobRestoresNothing(t *testing.T) {
	c, w := cachetest.NewCache(t, nil, nil)
	key, _, _ := cachetest.SaveSample(t, c)
	e, err := c.Lookup(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var victim cache.Output
	for _, o := range e.Outputs {
		if o.Path == "dist/a/b/report.txt" {
			victim = o
		}
	}
	p := c.Local().Path(cache.CAS, victim.Digest)
	data, _ := os.ReadFile(p)
	data[0] ^= 1
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	var out bytes.Buffer
	err = c.Restore(ctx, e, root, &out, &out)
	if !errors.Is(err, cache.ErrCorrupt) {
		t.Fatalf("Restore of a corrupt blob: %v, want ErrCorrupt", err)
	}
	if out.Len() != 0 {
		t.Fatalf("logs were replayed after a failed restore: %q", out.String())
	}
	var left []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Fatalf("a failed restore left files behind: %v", left)
	}
	if !strings.Contains(w.String(), victim.Digest.String()) {
		t.Fatalf("no warning names the blob: %q", w)
	}
	// The corrupt blob was dropped, so the entry is now a plain miss.
	if _, err := c.Lookup(ctx, key); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Lookup after the blob was found corrupt: %v", err)
	}
}

func TestCorruptLogIsAMiss(t *testing.T) {
	c, _ := cachetest.NewCache(t, nil, nil)
	key, _, _ := cachetest.SaveSample(t, c)
	e, _ := c.Lookup(ctx, key)
	p := c.Local().Path(cache.CAS, e.Stdout)
	os.WriteFile(p, bytes.Repeat([]byte("x"), int(e.StdoutSize)), 0o644)
	var out bytes.Buffer
	if err := c.Restore(ctx, e, t.TempDir(), &out, &out); !errors.Is(err, cache.ErrCorrupt) {
		t.Fatalf("Restore with a corrupt log: %v", err)
	}
	if out.Len() != 0 {
		t.Fatalf("corrupt log replayed: %q", out.String())
	}
}

// TestRestoreStaysInsideRoot plants a symbolic link where an output's
// directory should be: the restore must not write through it.
func TestRestoreStaysInsideRoot(t *testing.T) {
	c, _ := cachetest.NewCache(t, nil, nil)
	key, _, _ := cachetest.SaveSample(t, c)
	e, _ := c.Lookup(ctx, key)
	root, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "dist")); err != nil {
		t.Fatal(err)
	}
	err := c.Restore(ctx, e, root, nil, nil)
	if err == nil {
		t.Fatal("restore through a symbolic link leaving the root succeeded")
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 0 {
		t.Fatalf("restore wrote outside the root: %v", entries)
	}
}

func TestSigningKeyLocal(t *testing.T) {
	dir := t.TempDir()
	w := &cachetest.Warnings{}
	a, _ := cache.Open(ctx, cache.Options{Dir: dir})
	key, _, _ := cachetest.SaveSample(t, a)
	b, _ := cache.Open(ctx, cache.Options{Dir: dir, SigningKey: []byte("k"), Warn: w.Warn})
	if _, err := b.Lookup(ctx, key); !errors.Is(err, cache.ErrNotFound) || !strings.Contains(w.String(), "unsigned") {
		t.Fatalf("unsigned local entry with a key configured: %v, warnings %q", err, w)
	}
}

func TestRuns(t *testing.T) {
	c, _ := cachetest.NewCache(t, nil, nil)
	if _, err := c.LastRun(ctx, "svc:build"); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("LastRun before any run: %v", err)
	}
	k1, _, _ := cachetest.SaveSample(t, c)
	k2, _, _ := cachetest.SaveSample(t, c)
	for _, k := range []cache.Digest{k1, k2} {
		if err := c.RecordRun(ctx, "svc:build", k); err != nil {
			t.Fatal(err)
		}
	}
	e, err := c.LastRun(ctx, "svc:build")
	if err != nil || e.Key != k2 {
		t.Fatalf("LastRun = %v, %v; want %s", e, err, k2)
	}
	if e.Inputs["env:GOOS"] != "linux" {
		t.Fatalf("LastRun lost the key manifest: %v", e.Inputs)
	}
	if err := c.RecordRun(ctx, "bad\nid", k1); !errors.Is(err, cache.ErrInvalidOption) {
		t.Fatalf("RecordRun with a newline: %v", err)
	}
}

func TestPrune(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c, _ := cachetest.NewCache(t, nil, func(o *cache.Options) { o.Now = clock })
	old, _, _ := cachetest.SaveSample(t, c)
	age(t, c, old, 10*24*time.Hour, now)
	mid, _, _ := cachetest.SaveSample(t, c)
	age(t, c, mid, 2*time.Hour, now)
	fresh, _, _ := cachetest.SaveSample(t, c)
	age(t, c, fresh, 0, now)
	// A leftover temporary file from a crashed writer.
	tmp := filepath.Join(c.Dir(), "cas", ".tmp-crashed")
	os.WriteFile(tmp, []byte("partial"), 0o644)
	os.Chtimes(tmp, now.Add(-3*time.Hour), now.Add(-3*time.Hour))

	before, _ := c.Stats(ctx)
	dry, err := c.Prune(ctx, cache.PruneOptions{MaxAge: 7 * 24 * time.Hour, DryRun: true})
	if err != nil || dry.RemovedEntries != 1 {
		t.Fatalf("dry run = %+v, %v", dry, err)
	}
	if after, _ := c.Stats(ctx); after != before {
		t.Fatal("dry run removed something")
	}
	res, err := c.Prune(ctx, cache.PruneOptions{MaxAge: 7 * 24 * time.Hour})
	if err != nil || res.RemovedEntries != 1 {
		t.Fatalf("prune by age = %+v, %v", res, err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatal("stale temporary file survived")
	}
	if hitOK(c, old) || !hitOK(c, mid) || !hitOK(c, fresh) {
		t.Fatal("prune by age evicted the wrong entries")
	}
	// Lookups refresh use times (the checks above made mid recent again).
	age(t, c, mid, 2*time.Hour, now)
	age(t, c, fresh, 0, now)
	// Size: keep three quarters; the least recently used go.
	st, _ := c.Stats(ctx)
	limit := st.Bytes() * 3 / 4
	res, err = c.Prune(ctx, cache.PruneOptions{MaxSize: limit})
	if err != nil || res.After.Bytes() > limit {
		t.Fatalf("prune by size = %+v, %v", res, err)
	}
	if hitOK(c, mid) || !hitOK(c, fresh) {
		t.Fatal("prune by size did not evict the least recently used entry")
	}
}

// age sets the use time of an entry and its blobs.
func age(t *testing.T, c *cache.Cache, key cache.Digest, d time.Duration, now time.Time) {
	t.Helper()
	e, err := c.Lookup(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	when := now.Add(-d)
	os.Chtimes(c.Local().Path(cache.AC, key), when, when)
	for _, b := range e.Blobs() {
		os.Chtimes(c.Local().Path(cache.CAS, b.Digest), when, when)
	}
}

func hitOK(c *cache.Cache, k cache.Digest) bool {
	_, err := c.Lookup(ctx, k)
	return err == nil
}

func TestAsyncUpload(t *testing.T) {
	remote := newDirStore(t)
	a, w := cachetest.NewCache(t, remote, func(o *cache.Options) { o.AsyncUpload = true })
	key, files, _ := cachetest.SaveSample(t, a)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := cachetest.NewCache(t, remote, nil)
	e, err := b.Lookup(ctx, key)
	if err != nil {
		t.Fatalf("entry not in the remote after Close: %v (warnings: %s)", err, w)
	}
	root := t.TempDir()
	if err := b.Restore(ctx, e, root, nil, nil); err != nil {
		t.Fatal(err)
	}
	cachetest.CheckFiles(t, root, files)
}

// TestBlobPathVerifies corrupts a local blob: BlobPath must not hand out
// its path but fetch a good copy from the remote.
func TestBlobPathVerifies(t *testing.T) {
	remote := newDirStore(t)
	c, w := cachetest.NewCache(t, remote, nil)
	data := cachetest.RandomBytes(t, 1000)
	d := cache.Sum(data)
	if _, err := c.PutBlob(ctx, d, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(ctx, cache.CAS, d, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	p := c.Local().Path(cache.CAS, d)
	bad := bytes.Clone(data)
	bad[10] ^= 0xff
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := c.BlobPath(ctx, d, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, data) {
		t.Fatal("BlobPath returned a corrupt file")
	}
	if !strings.Contains(w.String(), d.String()) {
		t.Fatalf("no warning about the corrupt blob: %q", w)
	}
	// Without a remote, a corrupt blob is a miss.
	local, _ := cachetest.NewCache(t, nil, nil)
	local.PutBlob(ctx, d, int64(len(data)), bytes.NewReader(data))
	os.WriteFile(local.Local().Path(cache.CAS, d), bad, 0o644)
	if _, err := local.BlobPath(ctx, d, int64(len(data))); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("corrupt blob without a remote: %v, want ErrNotFound", err)
	}
}
