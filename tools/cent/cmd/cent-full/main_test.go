package main

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/centuria/centuria/tools/cent/internal/deploytree"
)

// buildBoth builds cent and cent-full into one directory, as go install
// does, and returns it.
func buildBoth(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	out, err := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "../..", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runIn runs a binary with extra environment in dir and returns its exit
// status and output.
func runIn(t *testing.T, dir, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := exec.Command(bin, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return c.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// alone copies cent into a directory of its own (no cent-full beside it).
func alone(t *testing.T, cent string) string {
	t.Helper()
	lone := filepath.Join(t.TempDir(), "cent")
	data, err := os.ReadFile(cent)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return lone
}

// TestCentRunsCentFullForDeploy checks that `cent deploy` runs cent-full
// with cent's whole command line (global flags, exit status, output), that
// cent says how to get cent-full when it is missing, and that cent links
// neither Helm, the Kubernetes API nor a cloud SDK (the reason for the split).
func TestCentRunsCentFullForDeploy(t *testing.T) {
	bin := buildBoth(t)
	cent := filepath.Join(bin, "cent")

	mods, err := exec.Command("go", "version", "-m", cent).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, heavy := range []string{"helm.sh/helm/v3", "k8s.io/client-go", "k8s.io/api",
		"github.com/aws/aws-sdk-go-v2", "cloud.google.com/go/storage", "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"} {
		if bytes.Contains(mods, []byte("\t"+heavy+"\t")) {
			t.Errorf("cent links %s; only cent-full may", heavy)
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
		return runIn(t, t.TempDir(), cent, env, args...) // -C must reach cent-full
	}

	code, out, errOut := run(nil, "-C", ws, "deploy", "preview")
	if code != 0 || !strings.Contains(out, "orders") || !strings.Contains(out, "apps/orders/deploy/values.yaml") {
		t.Fatalf("cent deploy preview: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, _ = run(nil, "deploy", "preview", "--help")
	if code != 0 || !strings.Contains(out, "--kube-version") {
		t.Errorf("cent deploy preview --help did not reach cent-full: exit %d\n%s", code, out)
	}
	code, _, errOut = run(nil, "deploy", "preview", "-C", ws, "--app", "nope")
	if code != 1 || !strings.Contains(errOut, "unknown application") {
		t.Errorf("unknown app: exit %d (want 1), stderr %q", code, errOut)
	}

	// Only cent, not cent-full: a clear error with the install command.
	cent = alone(t, cent)
	code, _, errOut = run([]string{"PATH=" + filepath.Dir(cent)}, "-C", ws, "deploy", "preview")
	if code != 2 || !strings.Contains(errOut, "go install github.com/centuria/centuria/tools/cent/cmd/cent-full@latest") {
		t.Errorf("missing cent-full: exit %d (want 2), stderr %q", code, errOut)
	}
	// CENT_FULL names it explicitly.
	code, out, errOut = run([]string{"CENT_FULL=" + filepath.Join(bin, "cent-full")}, "-C", ws, "deploy", "set-image", "orders", "--digest", "sha256:"+strings.Repeat("c", 64))
	if code != 0 || !strings.Contains(out, "image.digest") {
		t.Errorf("CENT_FULL: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// CENT_FULL naming a plain cent fails instead of looping.
	if code, _, errOut = run([]string{"CENT_FULL=" + cent}, "deploy", "preview"); code != 2 || !strings.Contains(errOut, "is not it") {
		t.Errorf("CENT_FULL=cent: exit %d (want 2), stderr %q", code, errOut)
	}
	if code, _, errOut = run([]string{"CENT_FULL=" + filepath.Join(bin, "nope")}, "deploy", "preview"); code != 2 || !strings.Contains(errOut, "CENT_FULL=") {
		t.Errorf("bad CENT_FULL: exit %d (want 2), stderr %q", code, errOut)
	}
}

// TestCentRunsCentFullForCloudCache runs `cent run` with an s3:// remote
// cache (the real S3 driver against an in-process S3 server): cent hands the
// command to cent-full, which fills the bucket, and a second run with an
// empty local cache is served from it.
func TestCentRunsCentFullForCloudCache(t *testing.T) {
	bin := buildBoth(t)
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	if err := backend.CreateBucket("cent"); err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":               "module example.com/ws\n\ngo 1.26\n",
		"apps/hello/main.go":   "package main\n\nfunc main() { println(\"hello\") }\n",
		"apps/hello/README.md": "hello\n",
	} {
		p := filepath.Join(ws, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{
		"CENT_REMOTE_CACHE=s3://cent?endpoint=" + srv.URL + "&use_path_style=true&region=us-east-1",
		"AWS_ACCESS_KEY_ID=cent-test", "AWS_SECRET_ACCESS_KEY=cent-test-secret",
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
	}
	cent := filepath.Join(bin, "cent")
	code, _, errOut := runIn(t, ws, cent, append(env, "CENT_CACHE_DIR="+t.TempDir()), "run", "-t", "build", "--all")
	if code != 0 || !strings.Contains(errOut, "1 ran, 0 cached") {
		t.Fatalf("first run: exit %d\n%s", code, errOut)
	}
	objs, err := backend.ListBucket("cent", nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.Contents) == 0 {
		t.Fatal("the s3 remote cache is empty after a run")
	}
	code, _, errOut = runIn(t, ws, cent, append(env, "CENT_CACHE_DIR="+t.TempDir()), "run", "-t", "build", "--all")
	if code != 0 || !strings.Contains(errOut, "0 ran, 1 cached") {
		t.Fatalf("second run with an empty local cache: exit %d\n%s", code, errOut)
	}
	// Without cent-full, cent says what it needs instead of "unknown scheme".
	lone := alone(t, cent)
	code, _, errOut = runIn(t, ws, lone, append(env, "PATH="+filepath.Dir(lone)), "run", "-t", "build", "--all")
	if code != 2 || !strings.Contains(errOut, "the remote cache s3:// needs cent-full") {
		t.Errorf("missing cent-full: exit %d (want 2), stderr %q", code, errOut)
	}
}
