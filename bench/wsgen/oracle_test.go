package wsgen

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// expectedProjects computes, from the manifest alone, the projects a change
// of the non-test sources of the projects in changed affects.
func expectedProjects(m *Manifest, changed []string) []string {
	rev := make(map[string][]string)
	for _, p := range m.Projects {
		for _, d := range p.Imports {
			rev[d] = append(rev[d], p.Name)
		}
	}
	closure := make(map[string]bool)
	stack := slices.Clone(changed)
	for _, c := range changed {
		closure[c] = true
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range rev[n] {
			if !closure[d] {
				closure[d] = true
				stack = append(stack, d)
			}
		}
	}
	out := make(map[string]bool)
	for _, p := range m.Projects {
		if closure[p.Name] {
			out[p.Name] = true
		}
		for _, ti := range p.TestImports {
			if closure[ti] {
				out[p.Name] = true
			}
		}
	}
	return sortedKeys(out)
}

func TestOracleOnTinyWorkspace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	spec, _ := Preset("tiny")
	m, err := Generate(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := Commit(ctx, dir, "generated"); err != nil {
		t.Fatal(err)
	}
	for _, kind := range ChangeKinds {
		c, err := m.Change(kind)
		if err != nil {
			t.Fatal(err)
		}
		files, err := ApplyChange(dir, m, kind)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if err := Commit(ctx, dir, string(kind)); err != nil {
			t.Fatal(err)
		}
		changed, err := ChangedFiles(ctx, dir, "HEAD~1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(changed, files) {
			t.Errorf("%s: git reports %v changed, ApplyChange said %v", kind, changed, files)
		}
		got, err := Oracle(ctx, dir, changed)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		var want, wantIgnored []string
		switch kind {
		case ChangeRootUtil, ChangeLeafFeature, ChangeNewFile, ChangeDeletedFile, ChangeEmbed:
			want = expectedProjects(m, []string{c.Project})
		case ChangeAppOnly, ChangeTestOnly, ChangeTestdata:
			want = []string{c.Project}
		case ChangeNonGo, ChangeWindowsOnly:
			wantIgnored = files
		case ChangeModBump:
			for _, e := range m.External {
				if e.Path == c.Module {
					want = expectedProjects(m, e.Importers)
				}
			}
		}
		t.Logf("%s: %d projects affected, %d files ignored", kind, len(want), len(wantIgnored))
		if have := m.ProjectsOf(got.Packages); strings.Join(have, " ") != strings.Join(want, " ") {
			t.Errorf("%s: oracle says projects %v, manifest graph says %v", kind, have, want)
		}
		if strings.Join(got.Ignored, " ") != strings.Join(wantIgnored, " ") {
			t.Errorf("%s: ignored %v, want %v", kind, got.Ignored, wantIgnored)
		}
		if kind == ChangeAppOnly && len(got.Packages) != 1 {
			t.Errorf("app-only: packages %v, want the app's main package alone", got.Packages)
		}
		if kind == ChangeRootUtil && len(want) < 3 {
			t.Errorf("root-util change affects only %v", want)
		}
	}
	// The whole workspace still builds after every change.
	goCmd(t, dir, nil, "vet", "./...")
}

func TestOracleGoModWithoutBase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec, _ := Preset("tiny")
	m, err := Generate(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Oracle(context.Background(), dir, []string{"go.mod"})
	if !errors.Is(err, ErrNoBaseGoMod) {
		t.Fatalf("Oracle without git = %v, want ErrNoBaseGoMod", err)
	}
	// A go directive bump affects every package.
	got, err := Oracle(context.Background(), dir, []string{"go.mod"},
		WithBaseGoMod([]byte("module example.com/synth\n\ngo 1.21\n")))
	if err != nil {
		t.Fatal(err)
	}
	if have := m.ProjectsOf(got.Packages); len(have) != len(m.Projects) {
		t.Errorf("go directive change affects %d of %d projects", len(have), len(m.Projects))
	}
	if _, err := Oracle(context.Background(), dir, nil, WithBase("--evil")); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("WithBase(--evil) = %v", err)
	}
}
