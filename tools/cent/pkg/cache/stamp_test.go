package cache_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

// TestStampsNeverHideAChange restores over outputs that are in place (the
// stamp answers), then rewrites an output with the same size and the same
// modification time: the change time gives it away and the restore puts the
// cached content back.
func TestStampsNeverHideAChange(t *testing.T) {
	c, _ := cachetest.NewCache(t, nil, nil)
	root := t.TempDir()
	file := filepath.Join(root, "dist", "app")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("binary!"), 1000)
	if err := os.WriteFile(file, want, 0o755); err != nil {
		t.Fatal(err)
	}
	key := cachetest.RandomDigest(t)
	e, err := c.Save(ctx, key, cache.Result{Root: root, Outputs: []string{"dist/app"}})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(file)
	for i := 0; i < 2; i++ {
		if err := c.Restore(ctx, e, root, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := os.Stat(file)
	if !os.SameFile(before, after) {
		t.Fatal("an up-to-date output was rewritten")
	}
	// Same size, same mtime, different content.
	evil := bytes.Repeat([]byte("BINARY!"), 1000)
	if err := os.WriteFile(file, evil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, before.ModTime(), before.ModTime()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := c.Restore(ctx, e, root, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(file)
	if !bytes.Equal(got, want) {
		t.Fatal("a rewritten output with the same size and mtime was taken as up to date")
	}
}
