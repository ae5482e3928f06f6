package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/internal/deploytree"
)

// repoRoot is the repository holding this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// tempWorkspace copies the repository's service chart and ApplicationSet into
// a temporary workspace and adds apps/<app>/deploy/values.yaml files.
func tempWorkspace(t *testing.T, apps map[string]string) string {
	t.Helper()
	return deploytree.New(t, repoRoot(t), apps, nil)
}

// TestPreviewMatchesChartGoldens: previewing the repository renders each
// app exactly as the chart's golden files (deploy/deploytest, rendered there
// with the Helm SDK directly) record, so the preview shows what ArgoCD will
// apply.
func TestPreviewMatchesChartGoldens(t *testing.T) {
	root := repoRoot(t)
	results, err := Preview(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Application generated from the repository")
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Application.Name, r.Err)
			continue
		}
		var b strings.Builder
		for _, m := range r.Manifests {
			b.WriteString("---\n# Source: " + m.Template + "\n" + m.Content)
		}
		golden := filepath.Join(root, "deploy", "deploytest", "testdata", "golden", "app-"+r.Application.Name+".yaml")
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%s: %v (run go test ./deploy/deploytest -update)", r.Application.Name, err)
			continue
		}
		if b.String() != string(want) {
			t.Errorf("%s: preview differs from %s", r.Application.Name, golden)
		}
	}
}

const goodImage = "image:\n  repository: registry.example.com/centuria/x\n  digest: sha256:" +
	"0000000000000000000000000000000000000000000000000000000000000000\n"

// TestValuesErrorsLocated renders mistaken values through the whole preview:
// each error names the values file, the line and the key.
func TestValuesErrorsLocated(t *testing.T) {
	cases := []struct {
		name, values string
		want         []string
	}{
		{"unknown top-level key", goodImage + "replicaz: 3\n", []string{"apps/x/deploy/values.yaml:4: replicaz: unknown key"}},
		{"unknown nested key", goodImage + "autoscaling:\n  enabled: true\n  maxReplica: 3\n", []string{"values.yaml:6: autoscaling.maxReplica: unknown key"}},
		{"misspelt image key", "image:\n  repository: r/x\n  digests: sha256:00\n", []string{"values.yaml:3: image.digests: unknown key"}},
		{"unknown key in a list item", goodImage + "secretEnv:\n  - name: A\n    secretName: s\n    key: k\n    optinal: true\n", []string{"values.yaml:8: secretEnv[0].optinal: unknown key"}},
		{"unknown mesh", goodImage + "mesh: consul\n", []string{"values.yaml:4: mesh:", "'none', 'linkerd', 'istio'"}},
		{"bad digest", "image:\n  repository: r/x\n  digest: sha256:xyz\n", []string{"values.yaml:3: image.digest:"}},
		{"bad env name", goodImage + "env:\n  1BAD: x\n", []string{"values.yaml:5: env.1BAD: unknown key"}},
		{"wrong type", goodImage + "replicas: many\n", []string{"values.yaml:4: replicas:"}},
		{"bad probe path", goodImage + "probes:\n  liveness:\n    path: healthz\n", []string{"values.yaml:6: probes.liveness.path:"}},
		{"two mistakes", goodImage + "mesh: consul\nreplicaz: 1\n", []string{"values.yaml:4: mesh:", "values.yaml:5: replicaz: unknown key"}},
		{"not a mapping", "- a\n- b\n", []string{"values.yaml:1:", "mapping"}},
		{"bad yaml", goodImage + "mesh: [\n", []string{"values.yaml:4:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := tempWorkspace(t, map[string]string{"x": tc.values})
			res, err := Preview(context.Background(), root, Options{Apps: []string{"x"}})
			if err == nil {
				err = res[0].Err
			}
			if err == nil {
				t.Fatal("values accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !errors.Is(err, ErrValues) {
				t.Errorf("error %v does not match ErrValues", err)
			}
		})
	}
}

// TestPreviewKeepsGoingAfterAFailure: one broken app is reported in its
// result and the others still render.
func TestPreviewKeepsGoingAfterAFailure(t *testing.T) {
	root := tempWorkspace(t, map[string]string{"a": goodImage, "b": "image: {repository: r/b, tag: v1}\n", "c": goodImage})
	res, err := Preview(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Err != nil || res[2].Err != nil || len(res[0].Manifests) == 0 {
		t.Fatalf("results %+v", res)
	}
	if !errors.Is(res[1].Err, ErrRender) || !strings.Contains(res[1].Error, "image.digest is required") {
		t.Errorf("b: %v", res[1].Err)
	}
}
