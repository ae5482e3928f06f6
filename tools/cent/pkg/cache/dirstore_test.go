package cache_test

import (
	"os"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

func newDirStore(t *testing.T) *cache.DirStore {
	s, err := cache.NewDirStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDirStoreConformance(t *testing.T) {
	cachetest.Run(t, newDirStore(t))
}

// TestDirStoreAsRemote runs the remote suite with a directory as the
// shared store, as a network file system would be used.
func TestDirStoreAsRemote(t *testing.T) {
	s := newDirStore(t)
	cachetest.RunRemote(t, cachetest.Remote{
		Store: s,
		Overwrite: func(t testing.TB, ns cache.Namespace, d cache.Digest, data []byte) {
			if err := os.WriteFile(s.Path(ns, d), data, 0o644); err != nil {
				t.Fatal(err)
			}
		},
	})
}
