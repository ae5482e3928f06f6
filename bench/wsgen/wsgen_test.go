package wsgen

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpecValidate(t *testing.T) {
	bad := map[string]Spec{
		"apps":      {Apps: -1, Libs: 10},
		"libs":      {Apps: 1, Libs: 3},
		"module":    {Apps: 1, Libs: 10, Module: "Bad Module"},
		"goVersion": {Apps: 1, Libs: 10, GoVersion: "go1.22"},
		"scopes[1]": {Apps: 1, Libs: 10, Scopes: []string{"a", "A-b"}},
		"scopes[0]": {Apps: 1, Libs: 10, Scopes: []string{"shared"}},
	}
	for field, s := range bad {
		err := s.Validate()
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidSpec naming the field", field, err)
		}
	}
	if _, err := Preset("huge"); !errors.Is(err, ErrUnknownPreset) {
		t.Errorf("Preset(huge) = %v, want ErrUnknownPreset", err)
	}
	for _, n := range PresetNames() {
		s, err := Preset(n)
		if err != nil || s.Validate() != nil {
			t.Errorf("preset %s: %v / %v", n, err, s.Validate())
		}
	}
}

// treeHash hashes every path and content under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		h.Write([]byte(rel + "\x00"))
		h.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestGenerateIsDeterministic(t *testing.T) {
	spec, _ := Preset("tiny")
	spec.Libs = 60
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	if _, err := Generate(a, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(b, spec); err != nil {
		t.Fatal(err)
	}
	spec.Seed++
	if _, err := Generate(c, spec); err != nil {
		t.Fatal(err)
	}
	if treeHash(t, a) != treeHash(t, b) {
		t.Error("equal specs gave different workspaces")
	}
	if treeHash(t, a) == treeHash(t, c) {
		t.Error("different seeds gave the same workspace")
	}
	if _, err := Generate(a, spec); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("Generate into a non-empty dir = %v, want ErrNotEmpty", err)
	}
}

func TestGraphFollowsBoundaryRules(t *testing.T) {
	spec, _ := Preset("small")
	m, err := Generate(t.TempDir(), spec)
	if err != nil {
		t.Fatal(err)
	}
	types := make(map[string]string)
	counts := make(map[string]int)
	for _, p := range m.Projects {
		types[p.Name] = p.Type
		counts[p.Type]++
	}
	if counts[TypeApp] != 100 || len(m.Projects) != 400 {
		t.Fatalf("projects by type = %v, want 100 apps and 300 libs", counts)
	}
	fanIn := make(map[string]int)
	for _, p := range m.Projects {
		for _, set := range [][]string{p.Imports, p.TestImports, p.WindowsImports} {
			for _, d := range set {
				if !Allowed(p.Type, types[d]) {
					t.Errorf("%s (%s) imports %s (%s)", p.Name, p.Type, d, types[d])
				}
				fanIn[d]++
			}
		}
	}
	// Realistic shape: deep chains and a few widely used roots.
	depth := make(map[string]int)
	var walk func(string) int
	byName := make(map[string]Project)
	for _, p := range m.Projects {
		byName[p.Name] = p
	}
	walk = func(n string) int {
		if d, ok := depth[n]; ok {
			return d
		}
		d := 1
		for _, x := range byName[n].Imports {
			d = max(d, 1+walk(x))
		}
		depth[n] = d
		return d
	}
	maxDepth, maxFan := 0, 0
	for _, p := range m.Projects {
		maxDepth = max(maxDepth, walk(p.Name))
		maxFan = max(maxFan, fanIn[p.Name])
	}
	if maxDepth < 6 {
		t.Errorf("deepest import chain has %d projects, want at least 6", maxDepth)
	}
	if maxFan < 20 {
		t.Errorf("most imported library has %d importers, want at least 20", maxFan)
	}
	for _, k := range ChangeKinds {
		if _, err := m.Change(k); err != nil {
			t.Errorf("small preset plans no %s change: %v", k, err)
		}
	}
}

// goCmd runs the go command offline in dir.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s %v: %v\n%s", strings.Join(args, " "), env, err, out)
	}
	return string(out)
}

func TestTinyWorkspaceBuildsVetsAndTests(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec, _ := Preset("tiny")
	m, err := Generate(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	goCmd(t, dir, nil, "build", "./...")
	goCmd(t, dir, nil, "vet", "./...")
	// The Windows-only files import other libraries: vet them too (this
	// compiles the standard library for windows once per build cache).
	goCmd(t, dir, []string{"GOOS=windows"}, "vet", "./...")
	goCmd(t, dir, nil, "test", "-count=1", "./...")
	// Every hard case is present even in the tiny preset.
	traits := make(map[string]bool)
	for _, p := range m.Projects {
		for _, tr := range p.Traits {
			traits[tr] = true
		}
	}
	for _, want := range []string{"embed", "testdata", "xtest", "buildtags", "testimports"} {
		if !traits[want] {
			t.Errorf("tiny workspace has no project with trait %s", want)
		}
	}
	for _, k := range ChangeKinds {
		if _, err := m.Change(k); err != nil {
			t.Errorf("tiny preset plans no %s change: %v", k, err)
		}
	}
}

func TestSmallWorkspaceBuildsAndListsOffline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec, _ := Preset("small")
	m, err := Generate(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	// go vet runs on the tiny preset (for linux and windows); here the
	// build alone keeps the test quick.
	goCmd(t, dir, nil, "build", "./...")
	out := goCmd(t, dir, nil, "list", "-deps", "-test", "-json", "./...")
	for _, p := range m.Projects {
		for _, pkg := range p.Packages {
			if !strings.Contains(out, `"ImportPath": "`+pkg+`"`) {
				t.Errorf("go list does not list %s", pkg)
			}
		}
	}
	checkImportsMatchManifest(t, dir, m)
}

// checkImportsMatchManifest compares the manifest's project graph with the
// imports go list reports for linux.
func checkImportsMatchManifest(t *testing.T, dir string, m *Manifest) {
	t.Helper()
	out := goCmd(t, dir, nil, "list", "-f", "{{.ImportPath}} {{join .Imports \",\"}} {{join .TestImports \",\"}} {{join .XTestImports \",\"}}", "./...")
	pkgOwner := make(map[string]string)
	for _, p := range m.Projects {
		for _, pkg := range p.Packages {
			pkgOwner[pkg] = p.Name
		}
	}
	got := make(map[string]map[string]bool)
	gotTest := make(map[string]map[string]bool)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line+"   ", " ")
		from := pkgOwner[f[0]]
		add := func(dst map[string]map[string]bool, list string) {
			for _, imp := range strings.Split(list, ",") {
				if to, ok := pkgOwner[imp]; ok && to != from {
					if dst[from] == nil {
						dst[from] = map[string]bool{}
					}
					dst[from][to] = true
				}
			}
		}
		add(got, f[1])
		add(gotTest, f[2]+","+f[3])
	}
	for _, p := range m.Projects {
		want := strings.Join(p.Imports, ",")
		if have := strings.Join(sortedKeys(got[p.Name]), ","); have != want {
			t.Errorf("%s imports %s, manifest says %s", p.Name, have, want)
		}
		var testOnly []string
		for _, x := range sortedKeys(gotTest[p.Name]) {
			if !got[p.Name][x] {
				testOnly = append(testOnly, x)
			}
		}
		if have, want := strings.Join(testOnly, ","), strings.Join(p.TestImports, ","); have != want {
			t.Errorf("%s test-only imports %s, manifest says %s", p.Name, have, want)
		}
	}
}
