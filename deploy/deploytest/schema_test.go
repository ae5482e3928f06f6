package deploytest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodImage = "image:\n  repository: registry.example.com/centuria/x\n  digest: sha256:" +
	"0000000000000000000000000000000000000000000000000000000000000000\n"

// renderValues renders the chart with a values document written to a
// temporary file.
func renderValues(t *testing.T, release, values string) ([]manifest, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, []byte(values), 0o644); err != nil {
		t.Fatal(err)
	}
	return renderChart(t, release, f)
}

// TestSchemaRejects: Helm itself (helm template, ArgoCD) refuses values the
// schema does not allow, naming the offending key. (cent deploy preview adds
// the file and line; its tests cover that.)
func TestSchemaRejects(t *testing.T) {
	cases := []struct {
		name, values string
		want         []string
	}{
		{"unknown top-level key", goodImage + "replicaz: 3\n", []string{"'replicaz' not allowed"}},
		{"unknown nested key", goodImage + "autoscaling:\n  enabled: true\n  maxReplica: 3\n", []string{"/autoscaling", "'maxReplica' not allowed"}},
		{"misspelt image key", "image:\n  repository: r/x\n  digests: sha256:00\n", []string{"/image", "'digests' not allowed"}},
		{"unknown key in a list item", goodImage + "secretEnv:\n  - name: A\n    secretName: s\n    key: k\n    optinal: true\n", []string{"/secretEnv/0", "'optinal' not allowed"}},
		{"unknown mesh", goodImage + "mesh: consul\n", []string{"/mesh"}},
		{"bad digest", "image:\n  repository: r/x\n  digest: sha256:xyz\n", []string{"/image/digest"}},
		{"bad env name", goodImage + "env:\n  1BAD: x\n", []string{"/env", "'1BAD' not allowed"}},
		{"wrong type", goodImage + "replicas: many\n", []string{"/replicas"}},
		{"bad probe path", goodImage + "probes:\n  liveness:\n    path: healthz\n", []string{"/probes/liveness/path"}},
		{"unknown resource", goodImage + "resources:\n  limits:\n    gpu: 1\n", []string{"/resources/limits", "'gpu' not allowed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := renderValues(t, "x", tc.values)
			if err == nil {
				t.Fatal("values accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestTemplateRejects covers the checks the schema cannot express.
func TestTemplateRejects(t *testing.T) {
	cases := []struct {
		name, release, values, want string
	}{
		{"tag without allowTag", "x", "image:\n  repository: r/x\n  tag: v1\n", "image.digest is required"},
		{"no repository", "x", "image:\n  digest: sha256:" + strings.Repeat("0", 64) + "\n", "repository"},
		{"min above max", "x", goodImage + "autoscaling:\n  minReplicas: 5\n  maxReplicas: 2\n", "minReplicas must not exceed"},
		{"bad release name", "Bad_Name", goodImage, "DNS-1035"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := renderValues(t, tc.release, tc.values)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestAllowTag(t *testing.T) {
	ms, err := renderValues(t, "x", "image:\n  repository: r/x\n  tag: v1\n  allowTag: true\n")
	if err != nil {
		t.Fatal(err)
	}
	o, err := decode(ms)
	if err != nil {
		t.Fatal(err)
	}
	if img := o.deployment.Spec.Template.Spec.Containers[0].Image; img != "r/x:v1" {
		t.Errorf("image %q, want r/x:v1", img)
	}
	ms, err = renderValues(t, "x", "image:\n  repository: r/x\n  tag: v1\n  allowTag: true\n  digest: sha256:"+strings.Repeat("a", 64)+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if o, err = decode(ms); err != nil {
		t.Fatal(err)
	}
	if img := o.deployment.Spec.Template.Spec.Containers[0].Image; img != "r/x@sha256:"+strings.Repeat("a", 64) {
		t.Errorf("image %q: the digest must win over an allowed tag", img)
	}
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
