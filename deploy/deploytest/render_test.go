package deploytest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/deploy"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// repoRoot is the workspace root, two levels up from this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("workspace root not found: %v", err)
	}
	return root
}

// loadAppSet reads the real ApplicationSet.
func loadAppSet(t testing.TB) *deploy.ApplicationSet {
	t.Helper()
	root := repoRoot(t)
	set, err := deploy.LoadApplicationSet(filepath.Join(root, deploy.ApplicationSetFile), deploy.ApplicationSetFile)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// render is one rendered release: an app of the repository or a fixture.
type render struct {
	name      string // golden file stem
	release   string
	values    string // workspace-relative values file
	manifests []deploy.Manifest
}

// renderFixture renders the chart with a values file the way the
// ApplicationSet's Applications do (same chart path, value file relative to
// it), with release name release.
func renderFixture(t testing.TB, release, valuesFile string) ([]deploy.Manifest, error) {
	t.Helper()
	root := repoRoot(t)
	set := loadAppSet(t)
	rel, err := filepath.Rel(filepath.Join(root, "deploy", "charts", "service"), filepath.Join(root, filepath.FromSlash(valuesFile)))
	if err != nil {
		t.Fatal(err)
	}
	app := &deploy.Application{
		Name: release,
		Source: deploy.Source{
			RepoURL: set.Generators[0].RepoURL,
			Path:    "deploy/charts/service",
			Helm:    &deploy.Helm{ReleaseName: release, ValueFiles: []string{filepath.ToSlash(rel)}},
		},
		Destination: deploy.Destination{Namespace: release},
	}
	return deploy.NewRenderer(root, set, "").Render(context.Background(), app)
}

// allRenders renders every Application the ApplicationSet generates from the
// repository and every fixture under testdata/values.
func allRenders(t *testing.T) []render {
	t.Helper()
	root := repoRoot(t)
	results, err := deploy.Preview(context.Background(), root, deploy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("the ApplicationSet generates no Application from this repository")
	}
	var out []render
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Application.Name, r.Err)
		}
		out = append(out, render{name: "app-" + r.Application.Name, release: r.Application.Name,
			values: r.Application.File, manifests: r.Manifests})
	}
	fixtures, err := filepath.Glob(filepath.Join("testdata", "values", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fixtures) == 0 {
		t.Fatal("no fixtures under testdata/values")
	}
	for _, f := range fixtures {
		stem := strings.TrimSuffix(filepath.Base(f), ".yaml")
		values := "deploy/deploytest/testdata/values/" + filepath.Base(f)
		ms, err := renderFixture(t, "fx-"+stem, values)
		if err != nil {
			t.Fatalf("fixture %s: %v", f, err)
		}
		out = append(out, render{name: "fixture-" + stem, release: "fx-" + stem, values: values, manifests: ms})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// stream joins manifests into one YAML stream, as helm template prints it.
func stream(ms []deploy.Manifest) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("---\n# Source: " + m.Template + "\n" + m.Content)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	renders := allRenders(t)
	dir := filepath.Join("testdata", "golden")
	want := map[string]bool{}
	for _, r := range renders {
		file := filepath.Join(dir, r.name+".yaml")
		want[filepath.Base(file)] = true
		got := stream(r.manifests)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		golden, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: %v (run go test ./deploy/deploytest -update)", r.name, err)
			continue
		}
		if string(golden) != got {
			t.Errorf("%s: render differs from %s (run go test ./deploy/deploytest -update and review the diff):\n%s",
				r.name, file, firstDiff(string(golden), got))
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			if *update {
				if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("stale golden file %s (run with -update)", e.Name())
		}
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  golden: " + wl + "\n  render: " + gl
		}
	}
	return "(no line differs)"
}
