package cloud_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

// TestS3 runs the conformance suites against the real S3 driver (AWS SDK
// v2 through gocloud) talking HTTP to an in-process S3 server on a
// loopback port, addressed the way a MinIO endpoint is.
func TestS3(t *testing.T) {
	backend := s3mem.New()
	ts := httptest.NewServer(gofakes3.New(backend).Server())
	defer ts.Close()
	if err := backend.CreateBucket("cent"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "cent-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "cent-test-secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	url := "s3://cent?endpoint=" + ts.URL + "&use_path_style=true&region=us-east-1&prefix=ci/"
	s, err := cache.OpenStore(context.Background(), url, cache.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.(interface{ Close() error }).Close()
	t.Run("Store", func(t *testing.T) { cachetest.Run(t, s) })
	t.Run("Remote", func(t *testing.T) {
		cachetest.RunRemote(t, cachetest.Remote{
			Store: s,
			Overwrite: func(t testing.TB, ns cache.Namespace, d cache.Digest, data []byte) {
				if err := s.Put(context.Background(), ns, d, int64(len(data)), bytes.NewReader(data)); err != nil {
					t.Fatal(err)
				}
			},
		})
	})
	// The prefix is honoured: objects live under ci/cas/<sha256>.
	data := []byte("where am I")
	d := cache.Sum(data)
	if err := s.Put(context.Background(), cache.CAS, d, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := backend.HeadObject("cent", "ci/cas/"+d.String()); err != nil {
		t.Fatalf("object not at ci/cas/<sha256>: %v", err)
	}
}
