// Package cachetest is the conformance suite every cache.Store must pass,
// and a suite for the Cache running over a store as its remote: sharing
// between machines, tamper detection and signatures.
package cachetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

// RandomDigest returns a digest no other test uses, to keep tests that
// share a store apart.
func RandomDigest(t testing.TB) cache.Digest {
	t.Helper()
	var d cache.Digest
	if _, err := rand.Read(d[:]); err != nil {
		t.Fatal(err)
	}
	return d
}

// RandomBytes returns n random bytes.
func RandomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Run checks that s behaves as a cache.Store: misses wrap ErrNotFound,
// objects round-trip byte for byte in both namespaces, namespaces are
// separate, AC objects can be replaced, failed or short uploads store
// nothing, and concurrent use is safe. Each subtest uses fresh random
// digests, so s may be shared with other tests.
func Run(t *testing.T, s cache.Store) {
	ctx := context.Background()
	t.Run("Miss", func(t *testing.T) {
		t.Parallel()
		d := RandomDigest(t)
		for _, ns := range []cache.Namespace{cache.AC, cache.CAS} {
			if _, err := s.Get(ctx, ns, d); !errors.Is(err, cache.ErrNotFound) {
				t.Errorf("Get(%s, missing) error = %v, want ErrNotFound", ns, err)
			}
			if ok, err := s.Contains(ctx, ns, d); ok || err != nil {
				t.Errorf("Contains(%s, missing) = %v, %v; want false, nil", ns, ok, err)
			}
		}
	})
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		for _, n := range []int{0, 1, 4096, 3<<20 + 7} {
			data := RandomBytes(t, n)
			d := cache.Sum(data)
			mustPut(t, s, cache.CAS, d, data)
			if got := mustGet(t, s, cache.CAS, d); !bytes.Equal(got, data) {
				t.Fatalf("CAS blob of %d bytes came back as %d different bytes", n, len(got))
			}
			if ok, err := s.Contains(ctx, cache.CAS, d); !ok || err != nil {
				t.Fatalf("Contains(CAS, stored) = %v, %v; want true, nil", ok, err)
			}
			// Storing the same blob again is harmless.
			mustPut(t, s, cache.CAS, d, data)
		}
	})
	t.Run("NamespacesAreSeparate", func(t *testing.T) {
		t.Parallel()
		data := RandomBytes(t, 100)
		d := cache.Sum(data)
		mustPut(t, s, cache.CAS, d, data)
		if _, err := s.Get(ctx, cache.AC, d); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("Get(AC) of a CAS-only digest: error = %v, want ErrNotFound", err)
		}
		if ok, _ := s.Contains(ctx, cache.AC, d); ok {
			t.Fatal("Contains(AC) of a CAS-only digest = true")
		}
	})
	t.Run("ReplaceAC", func(t *testing.T) {
		t.Parallel()
		k := RandomDigest(t)
		mustPut(t, s, cache.AC, k, []byte("first entry"))
		mustPut(t, s, cache.AC, k, []byte("second, longer entry"))
		if got := mustGet(t, s, cache.AC, k); string(got) != "second, longer entry" {
			t.Fatalf("AC after replace = %q", got)
		}
	})
	t.Run("FailedUploadStoresNothing", func(t *testing.T) {
		t.Parallel()
		data := RandomBytes(t, 256<<10)
		d := cache.Sum(data)
		r := io.MultiReader(bytes.NewReader(data[:100<<10]), errReader{})
		if err := s.Put(ctx, cache.CAS, d, int64(len(data)), r); err == nil {
			t.Fatal("Put with a failing reader succeeded")
		}
		assertAbsent(t, s, cache.CAS, d)
	})
	t.Run("ShortUploadStoresNothing", func(t *testing.T) {
		t.Parallel()
		data := RandomBytes(t, 64<<10)
		k := RandomDigest(t)
		if err := s.Put(ctx, cache.AC, k, int64(len(data))+10, bytes.NewReader(data)); err == nil {
			t.Fatal("Put of fewer bytes than its size succeeded")
		}
		assertAbsent(t, s, cache.AC, k)
	})
	t.Run("Canceled", func(t *testing.T) {
		t.Parallel()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		data := RandomBytes(t, 10)
		d := cache.Sum(data)
		// A store may finish a local operation before noticing; it must
		// never report a canceled upload as stored and then lose it.
		if err := s.Put(cctx, cache.CAS, d, int64(len(data)), bytes.NewReader(data)); err == nil {
			if got := mustGet(t, s, cache.CAS, d); !bytes.Equal(got, data) {
				t.Fatal("canceled Put reported success but stored other bytes")
			}
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		data := RandomBytes(t, 128<<10)
		d := cache.Sum(data)
		k := RandomDigest(t)
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Put(ctx, cache.CAS, d, int64(len(data)), bytes.NewReader(data)); err != nil {
					errs <- fmt.Errorf("Put CAS: %w", err)
				}
				entry := fmt.Appendf(nil, "entry from writer %d", i)
				if err := s.Put(ctx, cache.AC, k, int64(len(entry)), bytes.NewReader(entry)); err != nil {
					errs <- fmt.Errorf("Put AC: %w", err)
				}
				rc, err := s.Get(ctx, cache.CAS, d)
				if errors.Is(err, cache.ErrNotFound) {
					return // not yet visible to this reader
				}
				if err != nil {
					errs <- fmt.Errorf("Get CAS: %w", err)
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, data) {
					errs <- fmt.Errorf("concurrent reader saw %d bytes (want %d), err %v", len(got), len(data), err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got := mustGet(t, s, cache.AC, k); !bytes.HasPrefix(got, []byte("entry from writer ")) {
			t.Fatalf("AC after concurrent writers = %q", got)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("cachetest: reader fails") }

func mustPut(t testing.TB, s cache.Store, ns cache.Namespace, d cache.Digest, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), ns, d, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%s, %s): %v", ns, d, err)
	}
}

func mustGet(t testing.TB, s cache.Store, ns cache.Namespace, d cache.Digest) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), ns, d)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", ns, d, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading %s/%s: %v", ns, d, err)
	}
	return b
}

func assertAbsent(t testing.TB, s cache.Store, ns cache.Namespace, d cache.Digest) {
	t.Helper()
	rc, err := s.Get(context.Background(), ns, d)
	if err == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		t.Fatalf("%s/%s exists (%d bytes) after a failed upload", ns, d, len(b))
	}
	if !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Get(%s, %s) after failed upload: %v, want ErrNotFound", ns, d, err)
	}
}
