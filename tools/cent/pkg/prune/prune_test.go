package prune_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/centuria/centuria/bench/wsgen"
	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/prune"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func load(t *testing.T, dir string) *graph.Graph {
	t.Helper()
	ws, err := workspace.LoadRoot(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Build(context.Background(), ws, graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = fi.Mode().String() + fi.ModTime().String() + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPrune prunes an app of a generated workspace, builds the pruned tree
// offline, checks that no unrelated project is in it, and that an edit to
// an unrelated project leaves it byte-identical.
func TestPrune(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spec, _ := wsgen.Preset("tiny")
	m, err := wsgen.Generate(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	var app wsgen.Project
	for _, p := range m.Projects {
		if p.Type == "app" {
			app = p
			break
		}
	}
	g := load(t, dir)
	files, err := prune.Files(g, app.Name)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ctx")
	if err := prune.Write(ctx, dir, files, out); err != nil {
		t.Fatal(err)
	}
	// Only the app and the projects it imports, transitively.
	needed := map[string]bool{app.Dir: true}
	deps := g.TransitiveDeps(app.Name, graph.Import)
	for _, d := range deps {
		p, _ := g.Workspace.Project(d)
		needed[p.Root] = true
	}
	for _, f := range files {
		owner := g.Workspace.Owner(f)
		if owner == nil || strings.HasSuffix(f, "go.mod") || strings.HasSuffix(f, "go.sum") {
			continue
		}
		if !needed[owner.Root] {
			t.Errorf("pruned context holds %s of unrelated project %s", f, owner.Name)
		}
		if strings.HasSuffix(f, "_test.go") {
			t.Errorf("pruned context holds test file %s", f)
		}
	}
	// It builds offline.
	cmd := exec.Command("go", "build", "-o", os.DevNull, "./"+app.Dir)
	cmd.Dir = out
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pruned context does not build: %v\n%s", err, b)
	}
	before := treeOf(t, out)

	// Edit an unrelated project and prune again: byte-identical.
	var unrelated string
	for _, p := range m.Projects {
		if !needed[p.Dir] && p.Type != "app" {
			unrelated = p.Dir
			break
		}
	}
	if unrelated == "" {
		t.Fatal("no unrelated project in the fixture")
	}
	if err := os.WriteFile(filepath.Join(dir, unrelated, "zz_extra.go"), []byte("package x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files2, err := prune.Files(load(t, dir), app.Name)
	if err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(t.TempDir(), "ctx")
	if err := prune.Write(ctx, dir, files2, out2); err != nil {
		t.Fatal(err)
	}
	after := treeOf(t, out2)
	if len(before) != len(after) {
		t.Fatalf("pruned trees differ in size: %d vs %d files", len(before), len(after))
	}
	for f, v := range before {
		if after[f] != v {
			t.Errorf("pruned file %s differs after an unrelated change", f)
		}
	}
	// Writing into a non-empty directory is refused.
	if err := prune.Write(ctx, dir, files, out); err == nil {
		t.Fatal("writing into a non-empty directory succeeded")
	}
}
