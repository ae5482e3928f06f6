package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/blobstore"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

func open(t *testing.T, rawURL string) cache.Store {
	t.Helper()
	s, err := cache.OpenStore(context.Background(), rawURL, cache.StoreConfig{})
	if err != nil {
		t.Fatalf("OpenStore(%s): %v", rawURL, err)
	}
	t.Cleanup(func() {
		if c, ok := s.(interface{ Close() error }); ok {
			c.Close()
		}
	})
	return s
}

// overwrite replaces an object through a second handle on the same bucket,
// bypassing the cache.
func overwrite(t *testing.T, rawURL string) func(testing.TB, cache.Namespace, cache.Digest, []byte) {
	raw, err := blobstore.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return func(t testing.TB, ns cache.Namespace, d cache.Digest, data []byte) {
		if err := raw.Bucket().WriteAll(context.Background(), blobstore.Key(ns, d), data, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	u := fileURL(dir)
	s := open(t, u)
	t.Run("Store", func(t *testing.T) { cachetest.Run(t, s) })
	t.Run("Remote", func(t *testing.T) {
		cachetest.RunRemote(t, cachetest.Remote{Store: s, Overwrite: overwrite(t, u)})
	})
}

func TestFilePrefix(t *testing.T) {
	dir := t.TempDir()
	s := open(t, fileURL(dir)+"?prefix=team-a/")
	data := []byte("prefixed")
	d := cache.Sum(data)
	if err := s.Put(context.Background(), cache.CAS, d, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "team-a", "cas", d.String())); err != nil {
		t.Fatalf("object not stored at <prefix>cas/<sha256>: %v", err)
	}
}

func TestMem(t *testing.T) {
	b, err := blobstore.Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	t.Run("Store", func(t *testing.T) { cachetest.Run(t, b) })
	t.Run("Remote", func(t *testing.T) {
		cachetest.RunRemote(t, cachetest.Remote{
			Store: b,
			Overwrite: func(t testing.TB, ns cache.Namespace, d cache.Digest, data []byte) {
				if err := b.Bucket().WriteAll(context.Background(), blobstore.Key(ns, d), data, nil); err != nil {
					t.Fatal(err)
				}
			},
		})
	})
}

// TestSchemesRegistered checks that every documented scheme has a backend.
func TestSchemesRegistered(t *testing.T) {
	have := map[string]bool{}
	for _, s := range cache.Schemes() {
		have[s] = true
	}
	for _, s := range blobstore.Schemes {
		if !have[s] {
			t.Errorf("scheme %s is not registered", s)
		}
	}
	if _, err := cache.OpenStore(context.Background(), "gopher://x", cache.StoreConfig{}); !errors.Is(err, cache.ErrUnknownScheme) {
		t.Errorf("unknown scheme: %v", err)
	}
}
