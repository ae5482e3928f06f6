package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/centuria/centuria/bench/wsgen"
	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// listed is the part of `go list -json` the comparison needs.
type listed struct {
	ImportPath   string
	Dir          string
	Imports      []string
	TestImports  []string
	XTestImports []string
	EmbedFiles   []string
	Module       *struct{ Path string }
}

func goList(t *testing.T, dir string, env ...string) map[string]*listed {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	res := map[string]*listed{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		res[p.ImportPath] = &p
	}
	return res
}

func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// compare checks cent's package graph against go list for one platform.
func compare(t *testing.T, dir string, o graph.Options, env ...string) *graph.Graph {
	t.Helper()
	ctx := context.Background()
	ws, err := workspace.LoadRoot(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Build(ctx, ws, o)
	if err != nil {
		t.Fatal(err)
	}
	want := goList(t, dir, env...)
	for ip, w := range want {
		p, ok := g.Package(ip)
		if !ok {
			t.Errorf("go list has %s, cent does not", ip)
			continue
		}
		if got := union(p.Imports); !slices.Equal(got, union(w.Imports)) {
			t.Errorf("%s imports:\n cent %v\n  go  %v", ip, got, union(w.Imports))
		}
		if got, exp := union(p.Imports, p.TestImports), union(w.Imports, w.TestImports, w.XTestImports); !slices.Equal(got, exp) {
			t.Errorf("%s imports incl. tests:\n cent %v\n  go  %v", ip, got, exp)
		}
		var embeds []string
		for _, e := range w.EmbedFiles {
			embeds = append(embeds, filepath.ToSlash(filepath.Join(p.Dir, e)))
		}
		sort.Strings(embeds)
		if !slices.Equal(p.EmbedFiles, embeds) {
			t.Errorf("%s embeds: cent %v, go %v", ip, p.EmbedFiles, embeds)
		}
	}
	for _, p := range g.Packages {
		// Packages of local replaced modules are in cent's graph but not in
		// the main module's ./... list.
		if _, ok := want[p.ImportPath]; !ok && !strings.Contains(p.Dir, "third_party/") {
			t.Errorf("cent has %s, go list does not", p.ImportPath)
		}
	}
	return g
}

// TestGraphMatchesGoList compares the package graph of a generated
// workspace (build tags, test-only and external-test imports, embeds,
// replaced local modules) with go list, for linux and for windows.
func TestGraphMatchesGoList(t *testing.T) {
	dir := t.TempDir()
	spec, err := wsgen.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := wsgen.Generate(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	g := compare(t, dir, graph.Options{GOOS: "linux", GOARCH: "amd64"}, "GOOS=linux", "GOARCH=amd64")
	compare(t, dir, graph.Options{GOOS: "windows", GOARCH: "amd64"}, "GOOS=windows", "GOARCH=amd64")

	// The project graph has the manifest's edges with their kinds.
	for _, p := range m.Projects {
		deps := map[string]graph.EdgeKind{}
		for _, d := range g.Deps(p.Name) {
			deps[d.Target] = d.Kind
		}
		for _, imp := range p.Imports {
			if deps[imp] != graph.Import {
				t.Errorf("%s → %s: kind %q, want import", p.Name, imp, deps[imp])
			}
		}
		for _, imp := range p.TestImports {
			if k := deps[imp]; k != graph.TestImport && k != graph.Import {
				t.Errorf("%s → %s: kind %q, want test-import", p.Name, imp, k)
			}
		}
		for _, imp := range p.WindowsImports {
			if _, ok := deps[imp]; ok && !slices.Contains(p.Imports, imp) && !slices.Contains(p.TestImports, imp) {
				t.Errorf("%s → %s: a windows-only import is in the linux graph", p.Name, imp)
			}
		}
	}
	// And the projects are those of the manifest, with their types.
	for _, p := range m.Projects {
		pr, err := g.Workspace.Project(p.Name)
		if err != nil {
			t.Errorf("project %s (%s) not inferred: %v", p.Name, p.Dir, err)
			continue
		}
		if pr.Root != p.Dir || string(pr.Type) != p.Type {
			t.Errorf("project %s: root %s type %s, want %s %s", p.Name, pr.Root, pr.Type, p.Dir, p.Type)
		}
	}
}

// TestGraphThisRepo compares the graph of this repository with go list.
func TestGraphThisRepo(t *testing.T) {
	root, err := workspace.Find(".")
	if err != nil {
		t.Fatal(err)
	}
	compare(t, root, graph.Options{})
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []graph.Options{{GOOS: "plan10"}, {GOARCH: "z80"}, {BuildTags: []string{"a b"}}} {
		if err := o.Validate(); !errors.Is(err, graph.ErrInvalidOption) {
			t.Errorf("%+v: err = %v", o, err)
		}
	}
}

// TestGraphCache builds a graph twice with a package cache and checks the
// reused graph equals a fresh one, then that edits, new files and deleted
// files are seen.
func TestGraphCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spec, _ := wsgen.Preset("tiny")
	if _, err := wsgen.Generate(dir, spec); err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	build := func(cached bool) *graph.Graph {
		t.Helper()
		ws, err := workspace.LoadRoot(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		o := graph.Options{}
		if cached {
			o.CacheDir = cacheDir
		}
		g, err := graph.Build(ctx, ws, o)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	same := func(what string) {
		t.Helper()
		a, b := build(true), build(false)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("%s: the cached graph differs from a fresh one", what)
		}
		for _, p := range b.Packages {
			q, _ := a.Package(p.ImportPath)
			if len(q.ImportPos) != len(p.ImportPos) {
				t.Fatalf("%s: %s: import positions lost", what, p.ImportPath)
			}
		}
	}
	same("cold")
	same("warm")
	// Edit a library: add an import of another library.
	files, _ := filepath.Glob(filepath.Join(dir, "libs", "*", "*", "*.go"))
	var victim string
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") && !strings.Contains(f, "windows") {
			victim = f
			break
		}
	}
	data, _ := os.ReadFile(victim)
	edited := strings.Replace(string(data), "import (", "import (\n\t_ \"os/user\"", 1)
	if edited == string(data) {
		edited = strings.Replace(string(data), "\n", "\n\nimport _ \"os/user\"\n", 1)
	}
	if err := os.WriteFile(victim, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	same("edited file")
	g := build(true)
	p, _ := g.PackageInDir(filepath.ToSlash(strings.TrimPrefix(filepath.Dir(victim), dir+string(filepath.Separator))))
	if p == nil || !slices.Contains(p.Imports, "os/user") {
		t.Fatalf("the edit of %s is not in the cached graph", victim)
	}
	// A new file, then its removal.
	extra := filepath.Join(filepath.Dir(victim), "zz_extra.go")
	pkgName := strings.Fields(strings.SplitN(edited, "package ", 2)[1])[0]
	if err := os.WriteFile(extra, []byte("package "+pkgName+"\n\nimport _ \"os/signal\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	same("new file")
	os.Remove(extra)
	same("removed file")
	// A corrupt cache file is a miss.
	caches, _ := filepath.Glob(filepath.Join(cacheDir, "*.gob"))
	if len(caches) != 1 {
		t.Fatalf("want one cache file, got %v", caches)
	}
	os.WriteFile(caches[0], []byte("garbage"), 0o644)
	same("corrupt cache")
	// A package with //go:embed is cached too, but the files its patterns
	// match are looked up on every load: adding one changes no Go file.
	embedDir := filepath.Join(filepath.Dir(victim), "assets")
	if err := os.MkdirAll(embedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(embedDir, "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(victim), "zz_embed.go"), []byte("package "+pkgName+"\n\nimport _ \"embed\"\n\n//go:embed assets/*.txt\nvar assets string\n"), 0o644)
	same("embed package")
	same("embed package, warm")
	os.WriteFile(filepath.Join(embedDir, "b.txt"), []byte("b"), 0o644)
	same("embedded file added")
	rel := filepath.ToSlash(strings.TrimPrefix(filepath.Dir(victim), dir+string(filepath.Separator)))
	p, _ = build(true).PackageInDir(rel)
	if p == nil || !slices.Contains(p.EmbedFiles, rel+"/assets/b.txt") {
		t.Fatalf("the cached graph misses the new embedded file: %v", p)
	}
	os.Remove(filepath.Join(embedDir, "a.txt"))
	os.Remove(filepath.Join(embedDir, "b.txt"))
	same("embedded files removed")
	p, _ = build(true).PackageInDir(rel)
	if p == nil || p.Error == "" {
		t.Fatalf("a pattern that matches nothing must be an error in the cached graph too: %v", p)
	}
}
