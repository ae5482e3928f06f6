package httpstore_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
	"github.com/centuria/centuria/tools/cent/pkg/cache/httpstore"
)

func overwriteIn(n *cachetest.NginxCache) func(testing.TB, cache.Namespace, cache.Digest, []byte) {
	return func(t testing.TB, ns cache.Namespace, d cache.Digest, data []byte) {
		p := n.Path(string(ns), d.String())
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNginx(t *testing.T) {
	n := cachetest.Nginx(t, cachetest.NginxOptions{})
	s, err := cache.OpenStore(context.Background(), n.URL+"/", cache.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Store", func(t *testing.T) { cachetest.Run(t, s) })
	t.Run("Remote", func(t *testing.T) {
		cachetest.RunRemote(t, cachetest.Remote{Store: s, Overwrite: overwriteIn(n)})
	})
}

// TestNginxPathPrefix serves the cache below a path, as shared servers do.
func TestNginxPathPrefix(t *testing.T) {
	n := cachetest.Nginx(t, cachetest.NginxOptions{})
	s, err := httpstore.New(n.URL+"/team-a/cache", cache.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("blob under a prefix")
	d := cache.Sum(data)
	if err := s.Put(context.Background(), cache.CAS, d, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(n.Root, "team-a", "cache", "cas", d.String())); err != nil {
		t.Fatalf("blob not stored at <base>/cas/<sha256>: %v", err)
	}
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	data := []byte("secret blob")
	d := cache.Sum(data)
	put := func(url string, cfg cache.StoreConfig) error {
		s, err := cache.OpenStore(ctx, url, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s.Put(ctx, cache.CAS, d, int64(len(data)), bytes.NewReader(data))
	}
	t.Run("Basic", func(t *testing.T) {
		t.Parallel()
		n := cachetest.Nginx(t, cachetest.NginxOptions{User: "ci", Password: "s3cret"})
		if err := put(n.URL, cache.StoreConfig{}); err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("anonymous PUT: %v, want 401", err)
		}
		if err := put(n.URL, cache.StoreConfig{User: "ci", Password: "wrong"}); err == nil {
			t.Fatal("PUT with a wrong password succeeded")
		}
		if err := put(n.URL, cache.StoreConfig{User: "ci", Password: "s3cret"}); err != nil {
			t.Fatalf("PUT with basic auth: %v", err)
		}
		u := strings.Replace(n.URL, "http://", "http://ci:s3cret@", 1)
		if err := put(u, cache.StoreConfig{}); err != nil {
			t.Fatalf("PUT with credentials in the URL: %v", err)
		}
	})
	t.Run("Bearer", func(t *testing.T) {
		t.Parallel()
		n := cachetest.Nginx(t, cachetest.NginxOptions{Token: "tok-123"})
		err := put(n.URL, cache.StoreConfig{Token: "nope"})
		if err == nil || !strings.Contains(err.Error(), "token") {
			t.Fatalf("PUT with a wrong token: %v, want a 401 naming the token", err)
		}
		if err := put(n.URL, cache.StoreConfig{Token: "tok-123"}); err != nil {
			t.Fatalf("PUT with the token: %v", err)
		}
	})
}

// TestRemoteDown checks that a cache whose remote is unreachable keeps
// working locally and warns once.
func TestRemoteDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s, err := cache.OpenStore(context.Background(), "http://"+addr, cache.StoreConfig{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, w := cachetest.NewCache(t, s, nil)
	k1, _, _ := cachetest.SaveSample(t, c)
	k2, _, _ := cachetest.SaveSample(t, c)
	for _, k := range []cache.Digest{k1, k2} {
		if _, err := c.Lookup(context.Background(), k); err != nil {
			t.Fatalf("local lookup with the remote down: %v", err)
		}
	}
	if _, err := c.Lookup(context.Background(), cachetest.RandomDigest(t)); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("miss with the remote down: %v", err)
	}
	if w.Len() != 1 || !strings.Contains(w.String(), "remote cache unavailable") {
		t.Fatalf("want exactly one warning about the remote, got %d: %q", w.Len(), w)
	}
}

// TestTimeout checks the per-request timeout against a server that
// accepts connections and never answers.
func TestTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s, err := cache.OpenStore(context.Background(), "http://"+l.Addr().String(), cache.StoreConfig{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), cache.AC, cachetest.RandomDigest(t))
	if err == nil || errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Get from a silent server: %v, want a timeout", err)
	}
}

func TestBadURL(t *testing.T) {
	for _, u := range []string{"http://", "ftp://x", "http://h/?q=1", "mailto:x"} {
		if _, err := httpstore.New(u, cache.StoreConfig{}); !errors.Is(err, cache.ErrInvalidOption) {
			t.Errorf("New(%q) error = %v, want ErrInvalidOption", u, err)
		}
	}
	if _, err := cache.OpenStore(context.Background(), "gopher://x", cache.StoreConfig{}); !errors.Is(err, cache.ErrUnknownScheme) {
		t.Errorf("unknown scheme: %v", err)
	}
}

// TestRejectedObjectKeepsRemote uploads a blob larger than nginx accepts:
// that object is refused, but the cache keeps using the remote for the
// others.
func TestRejectedObjectKeepsRemote(t *testing.T) {
	n := cachetest.Nginx(t, cachetest.NginxOptions{MaxBodySize: "100k"})
	s, err := cache.OpenStore(context.Background(), n.URL, cache.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	big := cachetest.RandomBytes(t, 200<<10)
	err = s.Put(context.Background(), cache.CAS, cache.Sum(big), int64(len(big)), bytes.NewReader(big))
	if !errors.Is(err, cache.ErrRejected) || !strings.Contains(err.Error(), "413") {
		t.Fatalf("oversized PUT: %v, want a 413 wrapping ErrRejected", err)
	}
	c, w := cachetest.NewCache(t, s, nil)
	root := t.TempDir()
	cachetest.WriteFiles(t, root, []cachetest.File{{Path: "big", Mode: 0o644, Data: big}})
	c.Save(context.Background(), cachetest.RandomDigest(t), cache.Result{Root: root, Outputs: []string{"big"}})
	k, _, _ := cachetest.SaveSample(t, c) // 70 KiB outputs fit
	if strings.Contains(w.String(), "unavailable") {
		t.Fatalf("one refused object took the remote down: %s", w)
	}
	b, _ := cachetest.NewCache(t, s, nil)
	if _, err := b.Lookup(context.Background(), k); err != nil {
		t.Fatalf("entry saved after a refused object is not in the remote: %v", err)
	}
}
