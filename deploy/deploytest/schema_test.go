package deploytest

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/deploy"
)

// tempWorkspace copies the chart and the ApplicationSet into a temporary
// workspace and writes apps/<app>/deploy/values.yaml files into it.
func tempWorkspace(t *testing.T, apps map[string]string) string {
	t.Helper()
	src := repoRoot(t)
	dst := t.TempDir()
	for _, dir := range []string{"deploy/charts/service", "deploy/argocd"} {
		from := filepath.Join(src, filepath.FromSlash(dir))
		err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(from, p)
			to := filepath.Join(dst, filepath.FromSlash(dir), rel)
			if d.IsDir() {
				return os.MkdirAll(to, 0o755)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for app, content := range apps {
		p := filepath.Join(dst, "apps", app, "deploy", "values.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

const goodImage = "image:\n  repository: registry.example.com/centuria/x\n  digest: sha256:" +
	"0000000000000000000000000000000000000000000000000000000000000000\n"

// TestSchemaRejects renders values with mistakes through the whole preview
// and checks that each error names the file, the line and the key.
func TestSchemaRejects(t *testing.T) {
	cases := []struct {
		name, values string
		want         []string
	}{
		{"unknown top-level key", goodImage + "replicaz: 3\n", []string{"apps/x/deploy/values.yaml:4", "replicaz", "unknown key"}},
		{"unknown nested key", goodImage + "autoscaling:\n  enabled: true\n  maxReplica: 3\n", []string{"values.yaml:6", "autoscaling.maxReplica", "unknown key"}},
		{"misspelt image key", "image:\n  repository: r/x\n  digests: sha256:00\n", []string{"values.yaml:3", "image.digests", "unknown key"}},
		{"unknown key in a list item", goodImage + "secretEnv:\n  - name: A\n    secretName: s\n    key: k\n    optinal: true\n", []string{"values.yaml:8", "secretEnv[0].optinal", "unknown key"}},
		{"unknown mesh", goodImage + "mesh: consul\n", []string{"values.yaml:4", "mesh"}},
		{"bad digest", "image:\n  repository: r/x\n  digest: sha256:xyz\n", []string{"values.yaml:3", "image.digest"}},
		{"bad env name", goodImage + "env:\n  1BAD: x\n", []string{"values.yaml:5", "env.1BAD", "unknown key"}},
		{"wrong type", goodImage + "replicas: many\n", []string{"values.yaml:4", "replicas"}},
		{"bad probe path", goodImage + "probes:\n  liveness:\n    path: healthz\n", []string{"values.yaml:6", "probes.liveness.path"}},
		{"not a mapping", "- a\n- b\n", []string{"values.yaml:1", "mapping"}},
		{"bad yaml", goodImage + "mesh: [\n", []string{"values.yaml:4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := tempWorkspace(t, map[string]string{"x": tc.values})
			err := renderOne(t, root, "x")
			if err == nil {
				t.Fatal("values accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !errors.Is(err, deploy.ErrValues) {
				t.Errorf("error %v does not match deploy.ErrValues", err)
			}
		})
	}
}

// TestTemplateRejects covers the checks the schema cannot express.
func TestTemplateRejects(t *testing.T) {
	cases := []struct {
		name, values, want string
	}{
		{"tag without allowTag", "image:\n  repository: r/x\n  tag: v1\n", "image.digest is required"},
		{"no repository", "image:\n  digest: sha256:" + strings.Repeat("0", 64) + "\n", "repository"},
		{"min above max", goodImage + "autoscaling:\n  minReplicas: 5\n  maxReplicas: 2\n", "minReplicas must not exceed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := tempWorkspace(t, map[string]string{"x": tc.values})
			err := renderOne(t, root, "x")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	root := tempWorkspace(t, map[string]string{"Bad_Name": goodImage})
	if err := renderOne(t, root, "Bad_Name"); err == nil || !strings.Contains(err.Error(), "DNS-1035") {
		t.Errorf("app directory Bad_Name rendered: %v", err)
	}
}

func TestAllowTag(t *testing.T) {
	root := tempWorkspace(t, map[string]string{"x": "image:\n  repository: r/x\n  tag: v1\n  allowTag: true\n"})
	res, err := deploy.Preview(context.Background(), root, deploy.Options{})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	o, err := decode(res[0].Manifests)
	if err != nil {
		t.Fatal(err)
	}
	if img := o.deployment.Spec.Template.Spec.Containers[0].Image; img != "r/x:v1" {
		t.Errorf("image %q, want r/x:v1", img)
	}
}

func renderOne(t *testing.T, root, app string) error {
	t.Helper()
	res, err := deploy.Preview(context.Background(), root, deploy.Options{Apps: []string{app}})
	if err != nil {
		return err
	}
	return res[0].Err
}

// TestSchemaClosed walks values.schema.json: every object schema must set
// additionalProperties to false, so no key can slip through unchecked, and
// every default in values.yaml must be described.
func TestSchemaClosed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "charts", "service", "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(at string, s any)
	walk = func(at string, s any) {
		switch s := s.(type) {
		case map[string]any:
			if s["type"] == "object" || s["properties"] != nil || s["patternProperties"] != nil {
				n++
				if s["additionalProperties"] != false {
					t.Errorf("%s: object schema without additionalProperties: false", at)
				}
			}
			for k, v := range s {
				walk(at+"/"+k, v)
			}
		case []any:
			for _, v := range s {
				walk(at+"/[]", v)
			}
		}
	}
	walk("#", schema)
	if n < 20 {
		t.Errorf("only %d object schemas found; the walk is broken", n)
	}
}
