package deploytest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
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

// manifest is one rendered object.
type manifest struct {
	Template, APIVersion, Kind, Name, Content string
}

// renderChart renders the service chart with the Helm SDK, offline, as
// helm template (and ArgoCD's repo server) would: chart defaults coalesced
// with the values file, values.schema.json enforced, objects sorted in
// install order with hooks last. release is also the namespace.
func renderChart(t testing.TB, release, valuesFile string) ([]manifest, error) {
	t.Helper()
	ch, err := loader.Load(filepath.Join(repoRoot(t), "deploy", "charts", "service"))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ReadValuesFile(valuesFile)
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.33.0"}
	top, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: release, Namespace: release, Revision: 1, IsInstall: true}, caps)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, err
	}
	hooks, generic, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		generic = append(generic, releaseutil.Manifest{Name: h.Path, Content: h.Manifest})
	}
	out := make([]manifest, 0, len(generic))
	for _, m := range generic {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(m.Content), &head); err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		out = append(out, manifest{Template: m.Name, APIVersion: head.APIVersion, Kind: head.Kind,
			Name: head.Metadata.Name, Content: strings.TrimSpace(m.Content) + "\n"})
	}
	return out, nil
}

// render is one rendered release: an app of the repository or a fixture.
type render struct {
	name      string // golden file stem
	release   string
	values    string // workspace-relative values file
	manifests []manifest
}

// allRenders renders every apps/<app>/deploy/values.yaml of the repository
// (release and namespace <app>, as the ApplicationSet deploys them) and
// every fixture under testdata/values.
func allRenders(t *testing.T) []render {
	t.Helper()
	root := repoRoot(t)
	apps, err := filepath.Glob(filepath.Join(root, "apps", "*", "deploy", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) == 0 {
		t.Fatal("no apps/*/deploy/values.yaml in the repository")
	}
	var out []render
	for _, f := range apps {
		app := filepath.Base(filepath.Dir(filepath.Dir(f)))
		ms, err := renderChart(t, app, f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rel, _ := filepath.Rel(root, f)
		out = append(out, render{name: "app-" + app, release: app, values: filepath.ToSlash(rel), manifests: ms})
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
		ms, err := renderChart(t, "fx-"+stem, f)
		if err != nil {
			t.Fatalf("fixture %s: %v", f, err)
		}
		out = append(out, render{name: "fixture-" + stem, release: "fx-" + stem,
			values: "deploy/deploytest/testdata/values/" + filepath.Base(f), manifests: ms})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// stream joins manifests into one YAML stream, as helm template prints it.
func stream(ms []manifest) string {
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
