package cloud_test

import (
	"context"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/blobstore/cloud"
)

func TestSchemesRegistered(t *testing.T) {
	have := strings.Join(cache.Schemes(), ",")
	for _, s := range cloud.Schemes {
		if !strings.Contains(","+have+",", ","+s+",") {
			t.Errorf("scheme %s is not registered (have %s)", s, have)
		}
	}
}

// TestS3URLOptions checks that MinIO-style query parameters reach the S3
// driver: opening needs no network, and a bad parameter is reported.
func TestS3URLOptions(t *testing.T) {
	ctx := context.Background()
	s, err := cache.OpenStore(ctx, "s3://bucket?endpoint=http://127.0.0.1:9&use_path_style=true&region=us-east-1&prefix=cent/", cache.StoreConfig{})
	if err != nil {
		t.Fatalf("MinIO-style URL: %v", err)
	}
	if c, ok := s.(interface{ Close() error }); ok {
		c.Close()
	}
	if _, err := cache.OpenStore(ctx, "s3://bucket?use_path_style=maybe", cache.StoreConfig{}); err == nil {
		t.Fatal("a bad use_path_style value was accepted")
	}
}
