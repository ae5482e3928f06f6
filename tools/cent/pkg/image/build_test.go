package image

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestBuildPushPull builds a two-platform image with SBOMs, pushes it to an
// in-process registry, pulls it back and checks everything a runtime and a
// scanner look at.
func TestBuildPushPull(t *testing.T) {
	t.Parallel()
	dir := tinyApp(t, "hello from tiny", false)
	o := options(dir, DefaultPlatforms...)
	o.SBOM = true
	o.Labels = map[string]string{"team": "platform", LabelTitle: "overridden"}
	idx := build(t, o)

	ref, err := name.ParseReference(startRegistry(t) + "/apps/tiny:v1")
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := Push(context.Background(), ref, idx)
	if err != nil {
		t.Fatal(err)
	}
	if pushed != digest(t, idx) {
		t.Fatalf("Push returned %s, index digest is %s", pushed, digest(t, idx))
	}
	pulled, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, pulled) != pushed {
		t.Fatalf("pulled digest %s, pushed %s", digest(t, pulled), pushed)
	}
	if err := validate.Index(pulled); err != nil {
		t.Fatalf("validate.Index: %v", err)
	}
	m, err := pulled.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %s", m.MediaType)
	}
	var platforms []string
	attested := map[string]bool{}      // image digests with an SBOM
	attestation := map[string]string{} // image digest -> attestation digest
	for _, d := range m.Manifests {
		if d.Annotations[AnnotationReferenceType] == attestationManifest {
			attested[d.Annotations[AnnotationReferenceDigest]] = true
			attestation[d.Annotations[AnnotationReferenceDigest]] = d.Digest.String()
			if d.Platform == nil || d.Platform.OS != "unknown" {
				t.Errorf("attestation %s has platform %v, want unknown/unknown", d.Digest, d.Platform)
			}
			continue
		}
		platforms = append(platforms, d.Platform.String())
		if !attested[d.Digest.String()] && len(attested) > 0 {
			t.Errorf("attestations listed before image %s", d.Digest)
		}
	}
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
		t.Fatalf("platforms %v, want %v", platforms, want)
	}
	if len(attested) != 2 {
		t.Fatalf("%d SBOM attestations, want 2", len(attested))
	}

	for _, p := range DefaultPlatforms {
		img, err := PlatformImage(pulled, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Fatalf("validate.Image %s: %v", p, err)
		}
		if !attested[digest(t, img).String()] {
			t.Errorf("image %s has no SBOM attestation", p)
		}
		// The attestation names the image as its OCI subject, so the
		// registry's referrers API lists it.
		refs, err := remote.Referrers(ref.Context().Digest(digest(t, img).String()))
		if err != nil {
			t.Fatal(err)
		}
		if rm, err := refs.IndexManifest(); err != nil || len(rm.Manifests) != 1 || rm.Manifests[0].Digest.String() != attestation[digest(t, img).String()] {
			t.Errorf("referrers of %s: %+v %v", p, rm, err)
		}
		checkConfig(t, img, p)
		checkLayers(t, img)
		if p.Equals(hostPlatform) {
			out, err := exec.Command(binaryOf(t, img)).CombinedOutput()
			if err != nil || string(out) != "hello from tiny\n" {
				t.Fatalf("running the image's binary: %v: %q", err, out)
			}
		}
		sbom, err := ReadSBOM(pulled, p)
		if err != nil {
			t.Fatal(err)
		}
		var doc SPDXDocument
		if err := json.Unmarshal(sbom, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.SPDXVersion != "SPDX-2.3" || !strings.Contains(doc.CreationInfo.Comment, "GOARCH="+p.Architecture) || doc.Packages[0].Name != "example.com/tiny" {
			t.Errorf("SBOM for %s lacks the SPDX version or the build's GOARCH:\n%s", p, sbom)
		}
	}
	if _, err := ReadSBOM(pulled, v1.Platform{OS: "linux", Architecture: "s390x"}); !errors.Is(err, ErrNoSBOM) {
		t.Errorf("ReadSBOM for a missing platform: %v, want ErrNoSBOM", err)
	}
}

func checkConfig(t *testing.T, img v1.Image, p v1.Platform) {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != p.OS || cfg.Architecture != p.Architecture {
		t.Errorf("config platform %s/%s, want %s", cfg.OS, cfg.Architecture, p)
	}
	c := cfg.Config
	if !slices.Equal(c.Entrypoint, []string{BinaryPath}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
	}
	if c.User != "65532:65532" || c.WorkingDir != "/app" {
		t.Errorf("user %q workdir %q", c.User, c.WorkingDir)
	}
	if !slices.Contains(c.Env, "SSL_CERT_FILE="+CABundlePath) {
		t.Errorf("env %q lacks SSL_CERT_FILE", c.Env)
	}
	want := map[string]string{
		LabelTitle: "tiny", LabelSource: "https://example.com/centuria", LabelRevision: "0123456789abcdef",
		LabelCreated: "2023-11-14T22:13:20Z", "team": "platform",
	}
	for k, v := range want {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
	epoch := time.Unix(1700000000, 0)
	if !cfg.Created.Time.Equal(epoch) {
		t.Errorf("created %v, want SOURCE_DATE_EPOCH", cfg.Created)
	}
	for _, h := range cfg.History {
		if !h.Created.Time.Equal(epoch) {
			t.Errorf("history %q created %v", h.CreatedBy, h.Created)
		}
	}
}

// checkLayers checks the scratch base and binary layers' headers.
func checkLayers(t *testing.T, img v1.Image) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("%d layers, want base + binary", len(layers))
	}
	for _, l := range layers {
		if mt, _ := l.MediaType(); mt != types.OCILayer {
			t.Errorf("layer media type %s", mt)
		}
	}
	hdrs, files := layerFiles(t, layers[0])
	var names []string
	for _, h := range hdrs {
		names = append(names, h.Name)
		if !h.ModTime.Equal(time.Unix(1700000000, 0)) || (h.Uid != 0 && h.Uid != 65532) || h.Uid != h.Gid {
			t.Errorf("%s: mtime %v uid %d gid %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		switch h.Name {
		case "tmp/":
			if fs.FileMode(h.Mode) != 0o1777 {
				t.Errorf("tmp mode %o, want 1777", h.Mode)
			}
		case "home/nonroot/":
			if h.Uid != 65532 {
				t.Errorf("home/nonroot owned by %d", h.Uid)
			}
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("base entries not sorted: %v", names)
	}
	if !strings.Contains(string(files["etc/passwd"]), "nonroot:x:65532:65532:") {
		t.Errorf("passwd: %q", files["etc/passwd"])
	}
	if string(files["etc/ssl/certs/ca-certificates.crt"]) != string(testCA) {
		t.Errorf("CA bundle not copied")
	}
	hdrs, _ = layerFiles(t, layers[1])
	if len(hdrs) != 2 || hdrs[0].Name != "app/" || hdrs[1].Name != "app/service" || hdrs[1].Mode != 0o755 || hdrs[1].Uid != 0 {
		for _, h := range hdrs {
			t.Logf("%s mode %o uid %d", h.Name, h.Mode, h.Uid)
		}
		t.Errorf("binary layer entries unexpected")
	}
}

// TestReproducible builds the same sources twice in different directories
// and checks the digests match, then changes the source and the epoch.
func TestReproducible(t *testing.T) {
	t.Parallel()
	first := digest(t, build(t, options(tinyApp(t, "same", false), hostPlatform)))
	second := digest(t, build(t, options(tinyApp(t, "same", false), hostPlatform)))
	if first != second {
		t.Fatalf("same inputs gave %s and %s", first, second)
	}
	changed := digest(t, build(t, options(tinyApp(t, "changed", false), hostPlatform)))
	if changed == first {
		t.Fatalf("a source change kept digest %s", first)
	}
	o := options(tinyApp(t, "same", false), hostPlatform)
	o.SourceDateEpoch = 1800000000
	o.Base = Scratch(testCA, o.SourceDateEpoch)
	if later := digest(t, build(t, o)); later == first {
		t.Fatalf("a new SOURCE_DATE_EPOCH kept digest %s", first)
	}
}

// TestBuildErrors checks invalid options and compile failures.
func TestBuildErrors(t *testing.T) {
	t.Parallel()
	dir := tinyApp(t, "x", false)
	bad := []func(*Options){
		func(o *Options) { o.Dir = "" },
		func(o *Options) { o.Package = "" },
		func(o *Options) { o.Name = "../etc" },
		func(o *Options) { o.SourceDateEpoch = -1 },
		func(o *Options) { o.Platforms = []v1.Platform{{OS: "windows", Architecture: "amd64"}} },
		func(o *Options) { o.Platforms = []v1.Platform{{OS: "linux", Architecture: "vax"}} },
		func(o *Options) { o.Platforms = []v1.Platform{{OS: "linux", Architecture: "arm", Variant: "v9"}} },
		func(o *Options) { o.Platforms = []v1.Platform{hostPlatform, hostPlatform} },
		func(o *Options) { o.GzipLevel = 10 },
	}
	for i, f := range bad {
		o := options(dir)
		f(&o)
		if _, err := Build(context.Background(), o); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("case %d: %v, want ErrInvalidOption", i, err)
		}
	}
	writeFile(t, dir+"/cmd/tiny/broken.go", "package main\n\nfunc broken() { undefinedThing() }\n")
	_, err := Build(context.Background(), options(dir, hostPlatform))
	if !errors.Is(err, ErrCompile) || !strings.Contains(err.Error(), "undefinedThing") {
		t.Fatalf("compile failure: %v", err)
	}
}

func TestParsePlatforms(t *testing.T) {
	t.Parallel()
	got, err := ParsePlatforms("linux/amd64, linux/arm64,linux/arm/v7")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Variant != "v7" {
		t.Fatalf("got %v", got)
	}
	for _, s := range []string{"", ",", "darwin/arm64", "linux/amd64/v9", "linux/"} {
		if _, err := ParsePlatforms(s); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("ParsePlatforms(%q): %v, want ErrInvalidOption", s, err)
		}
	}
}
