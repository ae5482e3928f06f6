package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// realAppSet is the repository's ApplicationSet file.
func realAppSet(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "..", filepath.FromSlash(ApplicationSetFile)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeFiles creates files (slash paths relative to root).
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGenerateRealApplicationSet applies the repository's ApplicationSet to
// a workspace with apps at several depths: only apps/<app>/deploy/values.yaml
// match, each Application is named after its app directory (not
// path.basename, which is "deploy") and points at its own values.
func TestGenerateRealApplicationSet(t *testing.T) {
	set, err := LoadApplicationSet(realAppSet(t), ApplicationSetFile)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"apps/orders/deploy/values.yaml":         "image: {repository: r/orders}\n",
		"apps/billing/deploy/values.yaml":        "image: {repository: r/billing}\n",
		"apps/billing/deploy/values-dev.yaml":    "{}\n",
		"apps/group/nested/deploy/values.yaml":   "{}\n",
		"apps/deploy/values.yaml":                "{}\n",
		"libs/platform/deploy/values.yaml":       "{}\n",
		"apps/empty/deploy/values.yaml/oops.txt": "a directory named values.yaml\n",
	})
	apps, err := Generate(context.Background(), root, set)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range apps {
		names = append(names, a.Name)
	}
	if want := []string{"billing", "orders"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("Applications %v, want %v", names, want)
	}
	o := apps[1]
	if o.File != "apps/orders/deploy/values.yaml" || o.Destination.Namespace != "orders" {
		t.Errorf("orders: file %q namespace %q", o.File, o.Destination.Namespace)
	}
	if o.Source.Path != "deploy/charts/service" || o.Source.Helm == nil || o.Source.Helm.ReleaseName != "orders" {
		t.Fatalf("orders source %+v", o.Source)
	}
	if len(o.Source.Helm.ValueFiles) != 1 {
		t.Fatalf("value files %v", o.Source.Helm.ValueFiles)
	}
	r := NewRenderer(root, set, "")
	p, err := r.repoPath(o.Source.Helm.ValueFiles[0], o.Source.Path)
	if err != nil || p != "apps/orders/deploy/values.yaml" {
		t.Errorf("value file resolves to %q (%v), want the app's values", p, err)
	}
	spec := o.Object["spec"].(map[string]any)
	auto := spec["syncPolicy"].(map[string]any)["automated"].(map[string]any)
	if auto["prune"] != true || auto["selfHeal"] != true {
		t.Errorf("automated sync %v, want prune and selfHeal", auto)
	}
	meta := o.Object["metadata"].(map[string]any)
	if meta["namespace"] != set.Namespace || o.Object["kind"] != "Application" {
		t.Errorf("Application metadata %v", meta)
	}
}

// TestGenerateParams checks every path parameter, the file's own keys, the
// generator's values, list files and missingkey=error.
func TestGenerateParams(t *testing.T) {
	appset := `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: t, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
    - git:
        repoURL: https://example.com/r.git
        revision: main
        files:
          - path: "svc/**/config.yaml"
          - path: "svc/skip/**"
            exclude: true
        values:
          team: '{{ .owner | upper }}'
  template:
    metadata:
      name: '{{ .name }}'
      labels:
        basename: '{{ .path.basename }}'
        basenameNormalized: '{{ .path.basenameNormalized }}'
        filename: '{{ .path.filename }}'
        filenameNormalized: '{{ .path.filenameNormalized }}'
        first: '{{ index .path.segments 0 }}'
        team: '{{ .values.team }}'
    spec:
      project: default
      source: {repoURL: https://example.com/r.git, path: '{{ .path.path }}'}
      destination: {namespace: '{{ .name | normalize }}'}
`
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"appset.yaml":                  appset,
		"svc/A_Team/config.yaml":       "name: alpha\nowner: ann\n",
		"svc/x/y/config.yaml":          "- name: beta\n  owner: bob\n- name: gamma\n  owner: gus\n",
		"svc/skip/z/config.yaml":       "name: skipped\nowner: x\n",
		"svc/x/y/not-config.yaml":      "name: nope\nowner: x\n",
		"elsewhere/svc/q/config.yaml":  "name: nope2\nowner: x\n",
		"svc/A_Team/Config.YAML.extra": "name: nope3\n",
	})
	set, err := LoadApplicationSet(filepath.Join(root, "appset.yaml"), "appset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	apps, err := Generate(context.Background(), root, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 3 {
		t.Fatalf("%d Applications, want 3: %+v", len(apps), apps)
	}
	alpha := apps[0].Object["metadata"].(map[string]any)["labels"].(map[string]any)
	want := map[string]any{"basename": "A_Team", "basenameNormalized": "a-team", "filename": "config.yaml",
		"filenameNormalized": "config.yaml", "first": "svc", "team": "ANN"}
	if !reflect.DeepEqual(alpha, want) {
		t.Errorf("labels %v, want %v", alpha, want)
	}
	if apps[0].Source.Path != "svc/A_Team" || apps[1].Name != "beta" || apps[2].Name != "gamma" || apps[2].File != "svc/x/y/config.yaml" {
		t.Errorf("apps %+v %+v %+v", apps[0], apps[1], apps[2])
	}

	writeFiles(t, root, map[string]string{"svc/m/config.yaml": "owner: nobody\n"})
	if _, err := Generate(context.Background(), root, set); !errors.Is(err, ErrTemplate) || !strings.Contains(err.Error(), "svc/m/config.yaml") {
		t.Errorf("missing key: %v, want ErrTemplate naming the file", err)
	}
	writeFiles(t, root, map[string]string{"svc/m/config.yaml": "name: alpha\nowner: dup\n"})
	if _, err := Generate(context.Background(), root, set); !errors.Is(err, ErrApplicationSet) || !strings.Contains(err.Error(), "both") {
		t.Errorf("duplicate name: %v", err)
	}
}

func TestParseApplicationSetRejects(t *testing.T) {
	base := "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: t}\n"
	tmpl := "  template: {metadata: {name: x}, spec: {}}\n"
	cases := []struct {
		name, doc string
		want      error
	}{
		{"wrong kind", "apiVersion: v1\nkind: ConfigMap\n", ErrApplicationSet},
		{"fasttemplate", base + "spec:\n  generators: [{git: {repoURL: r, files: [{path: a}]}}]\n" + tmpl, ErrUnsupported},
		{"list generator", base + "spec:\n  goTemplate: true\n  generators: [{list: {elements: []}}]\n" + tmpl, ErrApplicationSet},
		{"directories", base + "spec:\n  goTemplate: true\n  generators: [{git: {repoURL: r, directories: [{path: a}]}}]\n" + tmpl, ErrApplicationSet},
		{"git without files", base + "spec:\n  goTemplate: true\n  generators: [{git: {repoURL: r}}]\n" + tmpl, ErrUnsupported},
		{"absolute glob", base + "spec:\n  goTemplate: true\n  generators: [{git: {repoURL: r, files: [{path: /a}]}}]\n" + tmpl, ErrApplicationSet},
		{"bad option", base + "spec:\n  goTemplate: true\n  goTemplateOptions: [missingkey=boom]\n  generators: [{git: {repoURL: r, files: [{path: a}]}}]\n" + tmpl, ErrApplicationSet},
		{"no template", base + "spec:\n  goTemplate: true\n  generators: [{git: {repoURL: r, files: [{path: a}]}}]\n", ErrApplicationSet},
		{"unknown field", base + "spec:\n  goTemplate: true\n  templatePatch: x\n  generators: [{git: {repoURL: r, files: [{path: a}]}}]\n" + tmpl, ErrApplicationSet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseApplicationSet([]byte(tc.doc), "a.yaml"); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRenderRefusesPathsOutsideTheRepository(t *testing.T) {
	set := &ApplicationSet{Generators: []GitFilesGenerator{{RepoURL: "https://example.com/r.git"}}}
	r := NewRenderer(t.TempDir(), set, "")
	cases := []struct {
		name string
		app  Application
		want string
	}{
		{"other repo", Application{Name: "a", Source: Source{RepoURL: "https://example.com/other", Path: "c"}}, "not the generator's repository"},
		{"escaping chart", Application{Name: "a", Source: Source{RepoURL: "https://example.com/r", Path: "../c"}}, "leaves the repository"},
		{"escaping values", Application{Name: "a", Source: Source{RepoURL: "https://example.com/r.git/", Path: "c",
			Helm: &Helm{ValueFiles: []string{"../../etc/passwd"}}}}, "leaves the repository"},
		{"ref values", Application{Name: "a", Source: Source{RepoURL: "https://example.com/r.git", Path: "c",
			Helm: &Helm{ValueFiles: []string{"$values/x.yaml"}}}}, "$ref"},
		{"helm repo chart", Application{Name: "a", Source: Source{RepoURL: "https://example.com/r.git", Chart: "nginx"}}, "spec.source.chart"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The chart directory does not exist: a refusal must come first.
			_, err := r.Render(context.Background(), &tc.app)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestPreviewUnknownApp(t *testing.T) {
	root := t.TempDir()
	data, err := os.ReadFile(realAppSet(t))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, root, map[string]string{ApplicationSetFile: string(data), "apps/a/deploy/values.yaml": "{}\n"})
	if _, err := Preview(context.Background(), root, Options{Apps: []string{"nope"}}); !errors.Is(err, ErrUnknownApp) {
		t.Errorf("error %v, want ErrUnknownApp", err)
	}
}
