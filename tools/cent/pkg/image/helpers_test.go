package image

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostPlatform is the platform whose binaries this machine can run.
var hostPlatform = v1.Platform{OS: "linux", Architecture: runtime.GOARCH}

// testCA is a stand-in CA bundle: the scratch base copies it verbatim.
var testCA = []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")

// tinyApp writes a one-file module printing greeting and returns its
// directory. With dep it imports golang.org/x/mod (from the module cache,
// at the workspace's version) so the binary links a module dependency.
func tinyApp(t *testing.T, greeting string, dep bool) string {
	t.Helper()
	dir := t.TempDir()
	gomod := "module example.com/tiny\n\ngo 1.26.0\n"
	src := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(" + quote(greeting) + ") }\n"
	if dep {
		gomod += "\nrequire golang.org/x/mod " + workspaceVersion(t, "golang.org/x/mod") + "\n"
		src = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/mod/semver\"\n)\n\nfunc main() { fmt.Println(" + quote(greeting) + ", semver.IsValid(\"v1.0.0\")) }\n"
		sum, err := os.ReadFile(filepath.Join(repoRoot(t), "go.sum"))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
	}
	writeFile(t, filepath.Join(dir, "go.mod"), gomod)
	writeFile(t, filepath.Join(dir, "cmd", "tiny", "main.go"), src)
	return dir
}

func quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\"" }

// testEnv is the go command environment for the tiny modules: offline,
// outside any workspace.
func testEnv() []string {
	return append(os.Environ(), "GOPROXY=off", "GOWORK=off", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local")
}

// options returns build options for a tiny app.
func options(dir string, platforms ...v1.Platform) Options {
	return Options{
		Dir: dir, Package: "./cmd/tiny", Name: "tiny", Platforms: platforms,
		Base: Scratch(testCA, 1700000000), SourceDateEpoch: 1700000000,
		Source: "https://example.com/centuria", Revision: "0123456789abcdef",
		Env: testEnv(),
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// repoRoot is the module root holding this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return dir
}

// workspaceVersion returns the version go.mod requires for modPath.
func workspaceVersion(t *testing.T, modPath string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == modPath {
			return f[1]
		}
	}
	t.Fatalf("go.mod does not require %s", modPath)
	return ""
}

// startRegistry serves go-containerregistry's registry implementation and
// returns its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func build(t *testing.T, o Options) v1.ImageIndex {
	t.Helper()
	idx, err := Build(context.Background(), o)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return idx
}

func digest(t *testing.T, d interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// layerFiles reads the tar headers and file contents of a layer.
func layerFiles(t *testing.T, l v1.Layer) ([]*tar.Header, map[string][]byte) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var hdrs []*tar.Header
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return hdrs, files
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, h)
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
}

// binaryOf extracts the app binary from the top layer of img into a file.
func binaryOf(t *testing.T, img v1.Image) string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	_, files := layerFiles(t, layers[len(layers)-1])
	bin, ok := files[strings.TrimPrefix(BinaryPath, "/")]
	if !ok {
		t.Fatalf("top layer has no %s", BinaryPath)
	}
	p := filepath.Join(t.TempDir(), "service")
	if err := os.WriteFile(p, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
