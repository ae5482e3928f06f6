package deploycmd

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/internal/commands"
	"github.com/centuria/centuria/tools/cent/internal/deploytree"
)

// deployWorkspace makes a workspace holding the repository's chart and
// ApplicationSet and the given app values files.
func deployWorkspace(t *testing.T, apps map[string]string) string {
	t.Helper()
	repo, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return deploytree.New(t, repo, apps, map[string]string{"go.mod": "module example.com/ws\n\ngo 1.26\n"})
}

func runCentDeploy(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := commands.Execute(context.Background(), append([]string{"-C", dir}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const testDigest = "sha256:abababababababababababababababababababababababababababababababab"

func TestDeployPreview(t *testing.T) {
	dir := deployWorkspace(t, map[string]string{
		"orders":  "image: {repository: r/orders, digest: " + testDigest + "}\nmigrations: {enabled: true}\n",
		"billing": "image: {repository: r/billing, digest: " + testDigest + "}\nmesh: istio\n",
	})
	code, out, errOut := runCentDeploy(t, dir, "deploy", "preview")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "billing ") || !strings.HasPrefix(lines[2], "orders ") ||
		!strings.Contains(lines[2], "apps/orders/deploy/values.yaml") {
		t.Fatalf("table:\n%s", out)
	}

	code, out, errOut = runCentDeploy(t, dir, "deploy", "preview", "--app", "orders")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"# Application orders", "kind: Application", "kind: Deployment", "image: r/orders@" + testDigest, "kind: Job"} {
		if !strings.Contains(out, want) {
			t.Errorf("--app orders output lacks %q", want)
		}
	}
	if strings.Contains(out, "name: billing") {
		t.Error("--app orders printed billing")
	}

	code, out, _ = runCentDeploy(t, dir, "deploy", "preview", "--json")
	if code != 0 {
		t.Fatalf("--json exit %d", code)
	}
	var results []struct {
		Application struct {
			Name   string         `json:"name"`
			Object map[string]any `json:"object"`
		} `json:"application"`
		Manifests []struct {
			Kind string `json:"kind"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Application.Name != "billing" {
		t.Fatalf("json results %+v", results)
	}
	kinds := map[string]bool{}
	for _, m := range results[0].Manifests {
		kinds[m.Kind] = true
	}
	if !kinds["PeerAuthentication"] || !kinds["Deployment"] {
		t.Errorf("billing (istio) renders %v", kinds)
	}

	if code, _, errOut = runCentDeploy(t, dir, "deploy", "preview", "--app", "nope"); code == 0 || !strings.Contains(errOut, "unknown application") {
		t.Errorf("unknown app: exit %d, %s", code, errOut)
	}
}

func TestDeployPreviewReportsBadValues(t *testing.T) {
	dir := deployWorkspace(t, map[string]string{
		"good": "image: {repository: r/good, digest: " + testDigest + "}\n",
		"bad":  "image:\n  repository: r/bad\n  digest: " + testDigest + "\nreplicas: 2\nautoscalng: {enabled: false}\n",
	})
	code, out, errOut := runCentDeploy(t, dir, "deploy", "preview")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut, "apps/bad/deploy/values.yaml:5: autoscalng: unknown key") {
		t.Errorf("stderr lacks the located error:\n%s", errOut)
	}
	if !strings.Contains(out, "good ") || !strings.Contains(out, "error") {
		t.Errorf("the other app must still render:\n%s", out)
	}
}

func TestDeploySetImage(t *testing.T) {
	dir := deployWorkspace(t, map[string]string{"orders": "image:\n  repository: r/orders\n  tag: main\n  allowTag: true\n"})
	code, out, errOut := runCentDeploy(t, dir, "deploy", "set-image", "orders", "--digest", testDigest)
	if code != 0 || !strings.Contains(out, "apps/orders/deploy/values.yaml") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	code, out, _ = runCentDeploy(t, dir, "deploy", "preview", "--app", "orders")
	if code != 0 || !strings.Contains(out, "image: r/orders@"+testDigest) {
		t.Errorf("after set-image the Deployment does not use the digest:\n%s", out)
	}
	if code, _, errOut = runCentDeploy(t, dir, "deploy", "set-image", "orders", "--digest", "sha256:bad"); code == 0 || !strings.Contains(errOut, "image.digest") {
		t.Errorf("bad digest: exit %d, %s", code, errOut)
	}
}
