package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestOutputsAndBases writes an image to an OCI layout, a tarball and a
// registry, and uses the layout and the registry copy as base images.
func TestOutputsAndBases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := tinyApp(t, "base app", false)
	idx := build(t, options(dir, hostPlatform))

	// OCI layout: written twice under one name, it holds one entry.
	lay := filepath.Join(t.TempDir(), "oci")
	for range 2 {
		if err := WriteLayout(lay, idx, "tiny:v1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteLayout(lay, idx, "other"); err != nil {
		t.Fatal(err)
	}
	stored, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	m, err := stored.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 2 || m.Manifests[0].Annotations[AnnotationRefName] != "tiny:v1" {
		t.Fatalf("layout index: %+v", m.Manifests)
	}
	child, err := stored.ImageIndex(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(child); err != nil {
		t.Fatal(err)
	}
	if digest(t, child) != digest(t, idx) {
		t.Fatal("layout round trip changed the digest")
	}

	// Tarball: one platform, loadable by reference.
	img, err := PlatformImage(idx, hostPlatform)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag("example.com/apps/tiny:v1")
	if err != nil {
		t.Fatal(err)
	}
	tb := filepath.Join(t.TempDir(), "tiny.tar")
	if err := WriteTarball(tb, map[name.Tag]v1.Image{tag: img}); err != nil {
		t.Fatal(err)
	}
	loaded, err := tarball.ImageFromPath(tb, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(loaded); err != nil {
		t.Fatal(err)
	}
	// docker tarballs keep the config and layers; the manifest is rebuilt
	// on load, so compare the config (which names every layer's diff ID).
	lc, err := loaded.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	ic, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if lc != ic {
		t.Fatalf("tarball config %s, built %s", lc, ic)
	}
	if _, err := PlatformImage(idx, v1.Platform{OS: "linux", Architecture: "riscv64"}); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("PlatformImage for a missing platform: %v", err)
	}

	// Bases: the layout by name, then the same index from a registry.
	reg := startRegistry(t)
	baseRef, err := name.ParseReference(reg + "/base:v1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, baseRef, idx); err != nil {
		t.Fatal(err)
	}
	baseLayers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"oci:" + lay + ":tiny:v1", baseRef.String()} {
		base, err := ParseBase(spec, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		o := options(tinyApp(t, "on a base", false), hostPlatform)
		o.Base = base
		onBase, err := PlatformImage(build(t, o), hostPlatform)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(onBase); err != nil {
			t.Fatal(err)
		}
		layers, err := onBase.Layers()
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != len(baseLayers)+1 {
			t.Fatalf("%s: %d layers on a %d-layer base", spec, len(layers), len(baseLayers))
		}
		for i, l := range baseLayers {
			if digest(t, l) != digest(t, layers[i]) {
				t.Errorf("%s: layer %d differs from the base's", spec, i)
			}
		}
		cfg, err := onBase.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.History) != 3 {
			t.Errorf("%s: %d history entries", spec, len(cfg.History))
		}
	}

	// A base without the wanted platform is an ErrBase.
	o := options(dir, v1.Platform{OS: "linux", Architecture: "arm64"})
	o.Base = Layout(lay, "tiny:v1")
	if _, err := Build(ctx, o); !errors.Is(err, ErrBase) {
		t.Fatalf("base without arm64: %v, want ErrBase", err)
	}
	o.Base = Layout(filepath.Join(t.TempDir(), "missing"), "")
	if _, err := Build(ctx, o); !errors.Is(err, ErrBase) {
		t.Fatalf("missing layout: %v, want ErrBase", err)
	}
	if st, err := os.Stat(tb); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("tarball: %v %v", st, err)
	}
}

func TestParseBase(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "scratch"} {
		if b, err := ParseBase(s, testCA, 0); err != nil {
			t.Errorf("%q: %v", s, err)
		} else if _, ok := b.(*scratchBase); !ok {
			t.Errorf("%q: %T", s, b)
		}
	}
	if b, err := ParseBase("oci:/x/y:name", nil, 0); err != nil || b.(*layoutBase).dir != "/x/y" || b.(*layoutBase).ref != "name" {
		t.Errorf("oci: %v %+v", err, b)
	}
	for _, s := range []string{"oci:", "UPPER/case:tag", "a:b:c:d"} {
		if _, err := ParseBase(s, nil, 0); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("ParseBase(%q): %v, want ErrInvalidOption", s, err)
		}
	}
	if _, err := Scratch(nil, 0).Image(context.Background(), hostPlatform); !errors.Is(err, ErrBase) {
		t.Errorf("scratch without CA bundle: %v", err)
	}
}
