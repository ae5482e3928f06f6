package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/internal/deploytree"
)

// TestCentRunsCentDeploy builds cent and cent-deploy as go install would and
// checks that `cent deploy` runs cent-deploy with cent's whole command line
// (global flags, exit status, output), that cent says how to get cent-deploy
// when it is missing, and that cent links neither Helm nor the Kubernetes
// API (the reason for the split).
func TestCentRunsCentDeploy(t *testing.T) {
	bin := t.TempDir()
	for _, pkg := range []string{"../..", "."} {
		out, err := exec.Command("go", "build", "-o", bin+string(filepath.Separator), pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	cent := filepath.Join(bin, "cent")

	mods, err := exec.Command("go", "version", "-m", cent).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, heavy := range []string{"helm.sh/helm/v3", "k8s.io/client-go", "k8s.io/api"} {
		if bytes.Contains(mods, []byte("\t"+heavy+"\t")) {
			t.Errorf("cent links %s; only cent-deploy may", heavy)
		}
	}

	repo, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	const digest = "sha256:abababababababababababababababababababababababababababababababab"
	ws := deploytree.New(t, repo, map[string]string{
		"orders": "image: {repository: r/orders, digest: " + digest + "}\n",
	}, map[string]string{"go.mod": "module example.com/ws\n\ngo 1.26\n"})

	run := func(env []string, args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		c := exec.Command(cent, args...)
		c.Dir = t.TempDir() // -C must reach cent-deploy
		c.Env = append(os.Environ(), env...)
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("cent %v: %v", args, err)
		}
		return c.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}

	code, out, errOut := run(nil, "-C", ws, "deploy", "preview")
	if code != 0 || !strings.Contains(out, "orders") || !strings.Contains(out, "apps/orders/deploy/values.yaml") {
		t.Fatalf("cent deploy preview: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, _ = run(nil, "deploy", "preview", "--help")
	if code != 0 || !strings.Contains(out, "--kube-version") {
		t.Errorf("cent deploy preview --help did not reach cent-deploy: exit %d\n%s", code, out)
	}
	code, _, errOut = run(nil, "deploy", "preview", "-C", ws, "--app", "nope")
	if code != 1 || !strings.Contains(errOut, "unknown application") {
		t.Errorf("unknown app: exit %d (want 1), stderr %q", code, errOut)
	}

	// Only cent, not cent-deploy: a clear error with the install command.
	lone := filepath.Join(t.TempDir(), "cent")
	data, err := os.ReadFile(cent)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cent = lone
	code, _, errOut = run([]string{"PATH=" + filepath.Dir(lone)}, "-C", ws, "deploy", "preview")
	if code != 2 || !strings.Contains(errOut, "go install github.com/centuria/centuria/tools/cent/cmd/cent-deploy@latest") {
		t.Errorf("missing cent-deploy: exit %d (want 2), stderr %q", code, errOut)
	}
	// CENT_DEPLOY names it explicitly.
	code, out, errOut = run([]string{"CENT_DEPLOY=" + filepath.Join(bin, "cent-deploy")}, "-C", ws, "deploy", "set-image", "orders", "--digest", "sha256:"+strings.Repeat("c", 64))
	if code != 0 || !strings.Contains(out, "image.digest") {
		t.Errorf("CENT_DEPLOY: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if code, _, errOut = run([]string{"CENT_DEPLOY=" + filepath.Join(bin, "nope")}, "deploy", "preview"); code != 2 || !strings.Contains(errOut, "CENT_DEPLOY=") {
		t.Errorf("bad CENT_DEPLOY: exit %d (want 2), stderr %q", code, errOut)
	}
}
