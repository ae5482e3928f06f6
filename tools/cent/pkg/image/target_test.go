package image

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestBaseID checks the base id follows the base's content and platforms,
// and that ReadLayout finds an index by name in a layout.
func TestBaseID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	amd64 := []v1.Platform{{OS: "linux", Architecture: "amd64"}}
	id := func(b Base, ps []v1.Platform) string {
		t.Helper()
		s, err := BaseID(ctx, b, ps)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s, "sha256:") || len(s) != len("sha256:")+64 {
			t.Fatalf("base id %q", s)
		}
		return s
	}
	a := id(Scratch(testCA, 0), amd64)
	if b := id(Scratch(testCA, 0), amd64); a != b {
		t.Errorf("the same base gave %s and %s", a, b)
	}
	if b := id(Scratch(append([]byte("# another\n"), testCA...), 0), amd64); a == b {
		t.Error("another CA bundle gave the same id")
	}
	if b := id(Scratch(testCA, 1700000000), amd64); a == b {
		t.Error("another SOURCE_DATE_EPOCH gave the same id")
	}
	if b := id(Scratch(testCA, 0), DefaultPlatforms); a == b {
		t.Error("more platforms gave the same id")
	}
	if _, err := BaseID(ctx, Layout(t.TempDir(), ""), amd64); !errors.Is(err, ErrBase) {
		t.Errorf("empty layout: %v, want ErrBase", err)
	}

	dir := tinyApp(t, "hi", false)
	idx := build(t, options(dir, amd64...))
	lay := filepath.Join(t.TempDir(), "image")
	if err := WriteLayout(lay, idx, LayoutRefName("tiny")); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLayout(lay, LayoutRefName("tiny"))
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, got) != digest(t, idx) {
		t.Errorf("ReadLayout returned another index")
	}
	if _, err := ReadLayout(lay, "other:latest"); err == nil || !strings.Contains(err.Error(), `no index named "other:latest"`) {
		t.Errorf("unknown name: %v", err)
	}
	if LayoutDir("orders") != "dist/orders/image" {
		t.Errorf("LayoutDir = %s", LayoutDir("orders"))
	}
}
