package commands

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/image"
)

// envRunAsCent makes the test binary act as cent: task commands such as the
// image target's run "{cent}", which in tests is this binary.
const envRunAsCent = "CENT_COMMANDS_TEST_RUN_AS_CENT"

func TestMain(m *testing.M) {
	if os.Getenv(envRunAsCent) == "1" {
		os.Exit(Execute(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Setenv(envRunAsCent, "1")
	os.Exit(m.Run())
}

// imageRun is one cent image --json run: app -> result.
func imageRun(t *testing.T, dir string, args ...string) map[string]imageResult {
	t.Helper()
	out, _ := cent(t, dir, 0, append([]string{"image", "--json", "--platform", "linux/amd64"}, args...)...)
	res := map[string]imageResult{}
	for _, r := range decodeResults(t, out) {
		res[r.App] = r
	}
	return res
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestImageCache checks image builds go through the task cache: a second
// build is a hit with the same digest and a byte-identical layout, a fresh
// machine gets it from the remote cache, a library change rebuilds only the
// app importing it, and a different base image is a miss.
func TestImageCache(t *testing.T) {
	t.Parallel()
	dir := imageWorkspace(t)
	local, remote := t.TempDir(), t.TempDir()
	cacheFlags := []string{"--cache-dir", local, "--remote-cache", "file://" + remote}

	first := imageRun(t, dir, append([]string{"--all"}, cacheFlags...)...)
	if len(first) != 2 || first["hello"].Cached || first["bye"].Cached {
		t.Fatalf("first build: %+v", first)
	}
	layout := filepath.Join(dir, filepath.FromSlash(image.LayoutDir("hello")))
	built := readTree(t, layout)
	idx, err := image.ReadLayout(layout, image.LayoutRefName("hello"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := image.PlatformImage(idx, image.DefaultPlatforms[0])
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if rev, ok := cfg.Config.Labels[image.LabelRevision]; ok {
		t.Errorf("revision label %q without --revision: a commit would change every digest", rev)
	}

	// Nothing changed: both images are restored, with the same digests and
	// the same bytes, even after the outputs were deleted.
	if err := os.RemoveAll(filepath.Join(dir, "dist")); err != nil {
		t.Fatal(err)
	}
	second := imageRun(t, dir, append([]string{"--all"}, cacheFlags...)...)
	for app, r := range second {
		if !r.Cached || r.Digest != first[app].Digest {
			t.Errorf("%s: second build %+v, first %+v", app, r, first[app])
		}
	}
	restored := readTree(t, layout)
	if len(restored) != len(built) {
		t.Errorf("restored layout has %d files, built %d", len(restored), len(built))
	}
	for f, data := range built {
		if !bytes.Equal(restored[f], data) {
			t.Errorf("restored %s differs from the built one", f)
		}
	}

	// Another machine: empty local cache, the remote has both.
	fresh := imageRun(t, dir, "--all", "--cache-dir", t.TempDir(), "--remote-cache", "file://"+remote)
	for app, r := range fresh {
		if !r.Cached || r.Digest != first[app].Digest {
			t.Errorf("%s: from the remote cache %+v, want cached %s", app, r, first[app].Digest)
		}
	}

	// The same image without the cache.
	direct := imageRun(t, dir, "hello", "--no-cache")
	if direct["hello"].Digest != first["hello"].Digest || direct["hello"].Cached {
		t.Errorf("--no-cache built %+v, cached build %s", direct["hello"], first["hello"].Digest)
	}

	// A change to the library hello imports: --affected builds hello only,
	// afresh; then bye is still a hit and hello's new image is too.
	if err := os.WriteFile(filepath.Join(dir, "libs/greet/greet.go"), []byte("package greet\n\n// Hello greets.\nfunc Hello() string { return \"hi\" }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	aff := imageRun(t, dir, append([]string{"--affected", "--base", "main"}, cacheFlags...)...)
	if len(aff) != 1 || aff["hello"].Cached || aff["hello"].Digest == first["hello"].Digest {
		t.Fatalf("after a library change, --affected built %+v", aff)
	}
	all := imageRun(t, dir, append([]string{"--all"}, cacheFlags...)...)
	if !all["bye"].Cached || all["bye"].Digest != first["bye"].Digest {
		t.Errorf("bye was rebuilt by a change it does not import: %+v", all["bye"])
	}
	if !all["hello"].Cached || all["hello"].Digest != aff["hello"].Digest {
		t.Errorf("hello: %+v, want the cached %s", all["hello"], aff["hello"].Digest)
	}

	// A different base (here another CA bundle) is another key.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := imageRun(t, dir, append([]string{"bye", "--ca-bundle", ca}, cacheFlags...)...)
	if other["bye"].Cached || other["bye"].Digest == first["bye"].Digest {
		t.Errorf("a new CA bundle gave %+v", other["bye"])
	}

	// The plan is visible: the task's command spells out every setting.
	plan, _ := cent(t, dir, 0, append([]string{"image", "--all", "--platform", "linux/amd64", "--dry-run"}, cacheFlags...)...)
	for _, want := range []string{"bye:image  hit", "hello:image  hit", "rm -rf dist/bye/image && \"$CENT_EXE\" image bye --no-cache --builder " + image.BuilderID + " --base-id sha256:", "--oci-layout dist/bye/image --platform linux/amd64 --source-date-epoch 0 --gzip-level"} {
		if !strings.Contains(plan, want) {
			t.Errorf("--dry-run output lacks %q:\n%s", want, plan)
		}
	}
	plan, _ = cent(t, dir, 0, append([]string{"image", "bye", "--platform", "linux/amd64", "--sbom", "--dry-run"}, cacheFlags...)...)
	if !strings.Contains(plan, "bye:image  miss") || !strings.Contains(plan, " --sbom") {
		t.Errorf("--sbom is another key:\n%s", plan)
	}
	if got := slices.Sorted(maps.Keys(all)); !slices.Equal(got, []string{"bye", "hello"}) {
		t.Errorf("--all built %v", got)
	}

	// Pinning a digest in the deploy values (what CI does after a push)
	// does not make a new image.
	if err := os.MkdirAll(filepath.Join(dir, "apps/hello/deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "apps/hello/deploy/values.yaml"), []byte("image: {repository: r/hello, digest: "+all["hello"].Digest+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, _ = cent(t, dir, 0, append([]string{"image", "hello", "--platform", "linux/amd64", "--dry-run"}, cacheFlags...)...)
	if !strings.Contains(plan, "hello:image  hit") {
		t.Errorf("a deploy values change is a miss:\n%s", plan)
	}

	// project.yaml may widen the image target's inputs.
	if err := os.WriteFile(filepath.Join(dir, "apps/bye/project.yaml"), []byte("tags: [team:ops]\ntargets:\n  image:\n    inputs: [production, \"^production\", \"{workspaceRoot}/VERSION\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key := func() string {
		t.Helper()
		out, _ := cent(t, dir, 0, append([]string{"image", "bye", "--platform", "linux/amd64", "--dry-run"}, cacheFlags...)...)
		return strings.Fields(out)[0]
	}
	before := key()
	if err := os.WriteFile(filepath.Join(dir, "VERSION"), []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if after := key(); after == before {
		t.Errorf("changing an extra input of the image target kept its key %s", after)
	}
}

func mapsKeys(m map[string]imageResult) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
