package gocacheprog_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
	"github.com/centuria/centuria/tools/cent/pkg/gocacheprog"
)

// Environment of the re-executed test binary acting as GOCACHEPROG.
const (
	envDir    = "CENT_GOCACHEPROG_TEST_DIR"
	envRemote = "CENT_GOCACHEPROG_TEST_REMOTE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envDir); dir != "" {
		os.Exit(serveForGo(dir, os.Getenv(envRemote)))
	}
	os.Exit(m.Run())
}

// serveForGo runs the server on stdin/stdout, as `cent gocache` does.
func serveForGo(dir, remoteURL string) int {
	ctx := context.Background()
	warn := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "gocacheprog: "+format+"\n", args...) }
	o := cache.Options{Dir: dir, Warn: warn, AsyncUpload: true}
	if remoteURL != "" {
		r, err := cache.OpenStore(ctx, remoteURL, cache.StoreConfig{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		o.Remote = r
	}
	c, err := cache.Open(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s := &gocacheprog.Server{Cache: c, Warn: warn}
	err = s.Serve(ctx, os.Stdin, os.Stdout)
	c.Close() // waits for the background uploads
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestGoTestSharesResults runs a real `go test` of a small module with
// this test binary as GOCACHEPROG: once on "machine A" to fill an nginx
// remote cache, then on "machine B" with a fresh GOCACHE and a fresh local
// cent cache, where the test result must come from the remote: "(cached)".
func TestGoTestSharesResults(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is required: %v", err)
	}
	n := cachetest.Nginx(t, cachetest.NginxOptions{})
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":      "module example.com/shared\n\ngo 1.24\n",
		"sum.go":      "package shared\n\n// Sum adds.\nfunc Sum(a, b int) int { return a + b }\n",
		"sum_test.go": "package shared\n\nimport \"testing\"\n\nfunc TestSum(t *testing.T) {\n\tif Sum(2, 3) != 5 {\n\t\tt.Fatal(\"bad sum\")\n\t}\n}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	run := func(machine string) string {
		cmd := exec.Command(goBin, "test", "./...")
		cmd.Dir = mod
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + home,
			"GOCACHE=" + t.TempDir(),
			"GOCACHEPROG=" + os.Args[0],
			envDir + "=" + t.TempDir(),
			envRemote + "=" + n.URL,
			"GOFLAGS=", "GOTOOLCHAIN=local", "GOPROXY=off", "GOWORK=off",
			"GOPATH=" + filepath.Join(home, "go"),
			"GOROOT=" + goRoot(t, goBin),
			"TMPDIR=" + os.TempDir(),
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("machine %s: go test: %v\n%s", machine, err, out)
		}
		return string(out)
	}
	first := run("A")
	if strings.Contains(first, "(cached)") {
		t.Fatalf("machine A's cold run was cached already:\n%s", first)
	}
	entries, _ := filepath.Glob(filepath.Join(n.Root, "ac", "*"))
	if len(entries) < 10 {
		t.Fatalf("machine A stored only %d entries in the remote", len(entries))
	}
	second := run("B")
	if !strings.Contains(second, "ok  \texample.com/shared\t(cached)") {
		t.Fatalf("machine B did not reuse the remote result:\n%s", second)
	}
	if strings.Contains(second, "gocacheprog:") {
		t.Fatalf("warnings on machine B:\n%s", second)
	}
}

func goRoot(t *testing.T, goBin string) string {
	out, err := exec.Command(goBin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
