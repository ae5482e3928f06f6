// Package vulntest gives tests of vulnerability scanning a small offline
// world: an OSV database (in the layout of the Go vulnerability database)
// naming one vulnerable module, that module served from a GOPROXY directory,
// and workspaces that require it.
package vulntest

import (
	"bytes"
	"embed"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// The fixture: GO-2026-9001 affects ModulePath before v1.0.1, in the symbols
// Parse and Decoder.Decode; Quote is safe. ForkPath at ForkVersion is a fork
// of it (its go.mod keeps ModulePath, so it can replace it) that the
// database does not list.
const (
	ModulePath    = "example.com/vulnlib"
	ModuleVersion = "v1.0.0"
	VulnID        = "GO-2026-9001"
	ForkPath      = "example.com/vulnfork"
	ForkVersion   = "v1.0.1"
)

//go:embed testdata/vulndb
var dbFS embed.FS

// moduleFiles is the source of ModulePath at ModuleVersion, and of ForkPath
// at ForkVersion.
var moduleFiles = map[string]string{
	"go.mod": "module " + ModulePath + "\n\ngo 1.22\n",
	"vulnlib.go": `// Package vulnlib has a known-vulnerable function (Parse) and a safe one (Quote).
package vulnlib

import "strings"

// Parse is vulnerable.
func Parse(s string) []byte { return make([]byte, len(s)) }

// Quote is not vulnerable.
func Quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\"" }

// Decoder has a vulnerable method.
type Decoder struct{}

// Decode is vulnerable.
func (Decoder) Decode(s string) []byte { return Parse(s) }
`,
}

// DB copies the fixture database into a new directory and returns it.
func DB(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	sub, err := fs.Sub(dbFS, "testdata/vulndb")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, sub); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Proxy is a GOPROXY directory serving the fixture module.
type Proxy struct {
	// Dir is the proxy's root directory.
	Dir string
	// GoSum holds the go.sum lines of the fixture module.
	GoSum string
}

// URL is the proxy as a GOPROXY value.
func (p *Proxy) URL() string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p.Dir)}).String()
}

// Env is an environment for offline go commands against the proxy: its own
// module cache (writable, so the test can remove it), no checksum database,
// no toolchain switch and no go.work.
func (p *Proxy) Env(t testing.TB) []string {
	t.Helper()
	return []string{
		"GOPROXY=" + p.URL(),
		"GONOSUMDB=" + ModulePath + "," + ForkPath,
		"GOSUMDB=off",
		"GOFLAGS=-mod=mod -modcacherw",
		"GOMODCACHE=" + t.TempDir(),
		"GOTOOLCHAIN=local",
		"GOWORK=off",
	}
}

// NewProxy builds a GOPROXY directory serving ModulePath at ModuleVersion
// and ForkPath at ForkVersion, zipped with golang.org/x/mod/zip as the go
// command expects.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	p := &Proxy{Dir: t.TempDir()}
	for _, m := range []module.Version{{Path: ModulePath, Version: ModuleVersion}, {Path: ForkPath, Version: ForkVersion}} {
		p.GoSum += serve(t, p.Dir, m)
	}
	return p
}

// serve writes m's list, info, mod and zip files under the proxy root and
// returns its go.sum lines.
func serve(t testing.TB, root string, m module.Version) string {
	t.Helper()
	src := t.TempDir()
	for name, data := range moduleFiles {
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vdir := filepath.Join(root, filepath.FromSlash(m.Path), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	if err := modzip.CreateFromDir(&zbuf, m, src); err != nil {
		t.Fatal(err)
	}
	zipFile := filepath.Join(vdir, m.Version+".zip")
	files := map[string]string{
		"list":              m.Version + "\n",
		m.Version + ".info": `{"Version":"` + m.Version + `","Time":"2026-10-01T00:00:00Z"}`,
		m.Version + ".mod":  moduleFiles["go.mod"],
		m.Version + ".zip":  zbuf.String(),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(vdir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipHash, err := dirhash.HashZip(zipFile, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	modHash, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(moduleFiles["go.mod"])), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m.Path + " " + m.Version + " " + zipHash + "\n" + m.Path + " " + m.Version + "/go.mod " + modHash + "\n"
}

// Workspace writes a module named modPath requiring the fixture module, with
// its go.sum and files (slash-separated relative paths to contents; a go.mod
// among them replaces the default one), into a new directory and returns it.
func (p *Proxy) Workspace(t testing.TB, modPath string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"go.mod": "module " + modPath + "\n\ngo 1.22\n\nrequire " + ModulePath + " " + ModuleVersion + "\n",
		"go.sum": p.GoSum,
	}
	for k, v := range files {
		all[k] = v
	}
	for name, data := range all {
		f := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
