package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/centuria/centuria/tools/cent/pkg/image"
)

// imageWorkspace writes a workspace with two apps (hello imports the greet
// library, bye does not), committed on branch main.
func imageWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                "module example.com/ws\n\ngo 1.26.0\n",
		"libs/greet/greet.go":   "package greet\n\n// Hello greets.\nfunc Hello() string { return \"hello\" }\n",
		"apps/hello/main.go":    "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/ws/libs/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
		"apps/bye/main.go":      "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"bye\") }\n",
		"apps/bye/project.yaml": "tags: [team:ops]\n",
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "base")
	return dir
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// cent runs cent in-process in dir and returns stdout, failing the test
// when the exit code differs from want.
func cent(t *testing.T, dir string, want int, args ...string) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Execute(context.Background(), append([]string{"-C", dir}, args...), &stdout, &stderr)
	if code != want {
		t.Fatalf("cent %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

func decodeResults(t *testing.T, out string) []imageResult {
	t.Helper()
	var res []imageResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	return res
}

// TestImageCommandOutputs builds one app into an OCI layout, a tarball and
// an in-process registry, and reads its SBOM back with cent sbom.
func TestImageCommandOutputs(t *testing.T) {
	t.Parallel()
	dir := imageWorkspace(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/team"

	head, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	out, stderr := cent(t, dir, 0, "image", "hello", "--platform", "linux/amd64,linux/arm64", "--sbom",
		"--source-date-epoch", "1700000000", "--source", "https://example.com/ws", "--revision", strings.TrimSpace(string(head)),
		"--oci-layout", "oci", "--tarball", "hello.tar", "--push", repo, "--tag", "v1", "--json", "--cache-dir", t.TempDir())
	res := decodeResults(t, out)
	if len(res) != 1 || res[0].App != "hello" || !slices.Equal(res[0].Platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("results %+v", res)
	}
	if !strings.Contains(stderr, "the tarball holds linux/amd64 only") {
		t.Errorf("no single-platform tarball notice on stderr: %q", stderr)
	}

	// Registry.
	ref, err := name.ParseReference(repo + "/hello:v1")
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Pushed != ref.Context().Digest(res[0].Digest).String() {
		t.Errorf("pushed %q", res[0].Pushed)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	if d.String() != res[0].Digest {
		t.Fatalf("registry digest %s, printed %s", d, res[0].Digest)
	}
	img, err := image.PlatformImage(idx, v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	labels := cfg.Config.Labels
	if labels[image.LabelTitle] != "hello" || labels[image.LabelRevision] != strings.TrimSpace(string(head)) || labels[image.LabelSource] != "https://example.com/ws" {
		t.Errorf("labels %v", labels)
	}

	// OCI layout, by name.
	lay, err := layout.ImageIndexFromPath(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := lay.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Annotations[image.AnnotationRefName] != "hello:v1" || m.Manifests[0].Digest.String() != res[0].Digest {
		t.Fatalf("layout index %+v", m.Manifests)
	}

	// Tarball, for docker load.
	tag, err := name.NewTag("hello:v1")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := tarball.ImageFromPath(filepath.Join(dir, "hello.tar"), &tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(tb); err != nil {
		t.Fatal(err)
	}

	// cent sbom: from the layout, from the registry and freshly built, the
	// same document (the build is reproducible).
	fromLayout, _ := cent(t, dir, 0, "sbom", "hello", "--oci-layout", "oci", "--tag", "v1")
	fromRegistry, _ := cent(t, dir, 0, "sbom", "hello", "--image", ref.String())
	built, _ := cent(t, dir, 0, "sbom", "hello", "--source-date-epoch", "1700000000")
	if fromLayout != fromRegistry || fromLayout != built {
		t.Errorf("SBOMs differ:\nlayout %s\nregistry %s\nbuilt %s", fromLayout, fromRegistry, built)
	}
	var doc image.SPDXDocument
	if err := json.Unmarshal([]byte(built), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.Packages[0].Name != "example.com/ws" || doc.Packages[0].Comment != "main package example.com/ws/apps/hello" {
		t.Errorf("SBOM %+v", doc.Packages[0])
	}
}

// TestImageCommandSelection checks --all and --affected pick apps only, and
// that bad arguments fail clearly.
func TestImageCommandSelection(t *testing.T) {
	t.Parallel()
	dir := imageWorkspace(t)
	cacheDir := t.TempDir()
	apps := func(out string) []string {
		var names []string
		for _, r := range decodeResults(t, out) {
			names = append(names, r.App)
		}
		return names
	}
	out, _ := cent(t, dir, 0, "image", "--all", "--platform", "linux/amd64", "--json", "--cache-dir", cacheDir)
	if got := apps(out); !slices.Equal(got, []string{"bye", "hello"}) {
		t.Fatalf("--all built %v", got)
	}
	out, stderr := cent(t, dir, 0, "image", "--affected", "--base", "main", "--platform", "linux/amd64", "--json", "--cache-dir", cacheDir)
	if got := apps(out); len(got) != 0 {
		t.Fatalf("nothing changed, yet --affected built %v (%s)", got, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "apps/bye/main_test.go"), []byte("package main\n\nimport \"testing\"\n\nfunc TestBye(t *testing.T) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr = cent(t, dir, 0, "image", "--affected", "--base", "main", "--platform", "linux/amd64", "--json", "--cache-dir", cacheDir)
	if got := apps(out); len(got) != 0 {
		t.Fatalf("a test-only change built %v (%s)", got, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "libs/greet/greet.go"), []byte("package greet\n\n// Hello greets.\nfunc Hello() string { return \"hi\" }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = cent(t, dir, 0, "image", "--affected", "--base", "main", "--platform", "linux/amd64", "--json", "--cache-dir", cacheDir)
	if got := apps(out); !slices.Equal(got, []string{"hello"}) {
		t.Fatalf("a library change built %v, want hello", got)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"image"}, "exactly one of them"},
		{[]string{"image", "hello", "--all"}, "exactly one of them"},
		{[]string{"image", "greet"}, `project "greet" is a lib, not an app`},
		{[]string{"image", "nope"}, `"nope"`},
		{[]string{"image", "hello", "--platform", "windows/amd64"}, "only linux images"},
		{[]string{"image", "hello", "--source-date-epoch", "yesterday"}, "--source-date-epoch"},
		{[]string{"image", "hello", "--tag", "bad tag"}, "--tag"},
		{[]string{"image", "hello", "--gzip-level", "12"}, "GzipLevel 12 not in 1..9"},
		{[]string{"image", "hello", "--parallel", "0"}, "--parallel"},
		{[]string{"image", "hello", "--no-cache", "--builder", "0"}, "another version of cent"},
		{[]string{"image", "hello", "--no-cache", "--platform", "linux/amd64", "--base-id", "sha256:00"}, "it changed after the task was planned"},
		{[]string{"image", "hello", "--base-image", "oci:"}, "--base-image"},
		{[]string{"image", "hello", "--platform", "linux/amd64", "--ca-bundle", "missing.pem"}, "--ca-bundle"},
		{[]string{"sbom", "hello", "--platform", "linux/amd64,linux/arm64"}, "name one platform"},
		{[]string{"sbom", "hello", "--oci-layout", "nowhere"}, "--oci-layout"},
		{[]string{"sbom", "greet"}, `project "greet" is a lib, not an app`},
	} {
		_, stderr := cent(t, dir, 1, c.args...)
		if !strings.Contains(stderr, c.want) {
			t.Errorf("cent %v: stderr %q lacks %q", c.args, stderr, c.want)
		}
	}
}
