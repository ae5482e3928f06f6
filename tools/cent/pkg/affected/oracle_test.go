package affected_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/centuria/centuria/bench/wsgen"
	"github.com/centuria/centuria/tools/cent/pkg/affected"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// git runs git in dir and fails the test on error.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestOracleTypedChanges generates a workspace, makes each typed change in
// its own commit and compares cent's affected projects with the answer of
// `go list -deps -test -json` (the oracle): recall must be 100%, and the
// answer exact except where cent deliberately counts a non-Go file for its
// own project.
func TestOracleTypedChanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spec, err := wsgen.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := wsgen.Generate(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := wsgen.Commit(ctx, dir, "base"); err != nil {
		t.Fatal(err)
	}
	for _, kind := range wsgen.ChangeKinds {
		t.Run(string(kind), func(t *testing.T) {
			git(t, dir, "checkout", "-q", "-f", "main")
			git(t, dir, "clean", "-fdq")
			git(t, dir, "checkout", "-q", "-B", "change-"+string(kind))
			if _, err := wsgen.ApplyChange(dir, m, kind); err != nil {
				t.Fatal(err)
			}
			git(t, dir, "add", "-A")
			git(t, dir, "commit", "-q", "-m", string(kind))
			changed, err := wsgen.ChangedFiles(ctx, dir, "main")
			if err != nil {
				t.Fatal(err)
			}
			want, err := wsgen.Oracle(ctx, dir, changed, wsgen.WithBase("main"))
			if err != nil {
				t.Fatal(err)
			}
			wantProjects := m.ProjectsOf(want.Packages)

			ws, err := workspace.LoadRoot(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			rep, _, err := affected.Run(ctx, ws, affected.Options{Base: "main", ModCache: modCache(t)})
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Names()
			for _, w := range wantProjects {
				if !slices.Contains(got, w) {
					t.Errorf("missed %s (recall < 100%%)\n got: %v\nwant: %v", w, got, wantProjects)
				}
			}
			extra := minus(got, wantProjects)
			switch kind {
			case wsgen.ChangeNonGo, wsgen.ChangeTestdata, wsgen.ChangeWindowsOnly:
				// The changed file's own project counts (it is among its
				// files); nothing else may.
				c, _ := m.Change(kind)
				if len(extra) > 1 || (len(extra) == 1 && extra[0] != c.Project) {
					t.Errorf("extra projects %v beyond the owner %s", extra, c.Project)
				}
			default:
				if len(extra) > 0 {
					t.Errorf("extra projects %v\n got: %v\nwant: %v", extra, got, wantProjects)
				}
			}
			// With --target build, test files, testdata and Markdown do not count.
			repBuild, _, err := affected.Run(ctx, ws, affected.Options{Base: "main", Target: "build", ModCache: modCache(t)})
			if err != nil {
				t.Fatal(err)
			}
			switch kind {
			case wsgen.ChangeTestOnly, wsgen.ChangeNonGo, wsgen.ChangeTestdata, wsgen.ChangeWindowsOnly:
				if len(repBuild.Projects) != 0 {
					t.Errorf("--target build: want nothing affected, got %v", repBuild.Names())
				}
			}
		})
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func modCache(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestOracleThisRepo checks cent against the oracle on this repository for
// a change to a few real files.
func TestOracleThisRepo(t *testing.T) {
	ctx := context.Background()
	root, err := workspace.Find(".")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := workspace.LoadRoot(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{
		"internal/testenv/testenv.go",
		"tools/cent/pkg/workspace/project.go",
		"tools/cent/pkg/graph/graph.go",
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("fixture file %s: %v", f, err)
		}
	}
	want, err := wsgen.Oracle(ctx, root, files)
	if err != nil {
		t.Fatal(err)
	}
	g, err := buildGraph(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	var changes []affected.Change
	for _, f := range files {
		changes = append(changes, affected.Change{Path: f, Status: affected.Modified})
	}
	res, err := affected.Compute(ctx, g, affected.Input{Changes: changes})
	if err != nil {
		t.Fatal(err)
	}
	// Package level: every package the oracle finds, cent finds (its
	// non-test closure plus the projects whose tests are affected).
	got := res.Names()
	for _, ip := range want.Packages {
		p, ok := g.Package(ip)
		if !ok {
			t.Errorf("oracle package %s is not in cent's graph", ip)
			continue
		}
		if !slices.Contains(got, p.Project) {
			t.Errorf("missed project %s (package %s)", p.Project, ip)
		}
	}
	// Beyond the oracle only through declared implicit dependencies, which
	// go list cannot see.
	// (Reasons are capped, so the declarations are read, not the reasons.)
	implicit := map[string]bool{}
	for _, p := range res.Projects {
		pr, err := ws.Project(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range pr.ImplicitDependencies {
			if slices.Contains(got, d) {
				implicit[p.Name] = true
			}
		}
	}
	for _, ip := range res.Packages {
		p, _ := g.Package(ip)
		if !slices.Contains(want.Packages, ip) && (p == nil || !implicit[p.Project]) {
			t.Errorf("cent says %s is affected, the oracle does not", ip)
		}
	}
}
