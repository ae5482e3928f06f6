package docker

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// TestDockerfileBuildStep runs the Dockerfile's go build step, as written,
// with sh in a small workspace (the output path moved into a temporary
// directory), runs the binary, and checks that a missing APP fails clearly.
func TestDockerfileBuildStep(t *testing.T) {
	stages := parseStages(t, readDockerfile(t))
	var script string
	appDirDefault := ""
	for _, c := range stages[0].Commands {
		switch c := c.(type) {
		case *instructions.RunCommand:
			if line := strings.Join(c.CmdLine, " "); strings.Contains(line, "go build") {
				script = line
			}
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				if a.Key == "APP_DIR" && a.Value != nil {
					appDirDefault = *a.Value
				}
			}
		}
	}
	if script == "" || appDirDefault == "" {
		t.Fatalf("no go build step (%q) or APP_DIR default (%q)", script, appDirDefault)
	}
	out := filepath.Join(t.TempDir(), "service")
	if !strings.Contains(script, "-o /out/service") {
		t.Fatalf("build step does not write /out/service: %s", script)
	}
	script = strings.Replace(script, "-o /out/service", "-o "+out, 1)

	ws := t.TempDir()
	for p, c := range map[string]string{
		"go.mod":             "module example.com/ws\n\ngo 1.26.0\n",
		"apps/hello/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from the Dockerfile\") }\n",
	} {
		if err := os.MkdirAll(filepath.Join(ws, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(app string) (string, error) {
		// BuildKit expands APP_DIR's default from APP; the shell does the same here.
		appDir := strings.ReplaceAll(appDirDefault, "${APP}", app)
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = ws
		cmd.Env = append(os.Environ(), "APP="+app, "APP_DIR="+appDir, "TARGETOS=linux", "TARGETARCH="+runtime.GOARCH, "GOFLAGS=", "GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local")
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	if msg, err := run("hello"); err != nil {
		t.Fatalf("build step: %v\n%s", err, msg)
	}
	got, err := exec.Command(out).Output()
	if err != nil || string(got) != "hello from the Dockerfile\n" {
		t.Fatalf("built binary: %v %q", err, got)
	}
	if msg, err := run(""); err == nil || !strings.Contains(msg, "missing --build-arg APP=<app>") {
		t.Fatalf("empty APP: %v %q", err, msg)
	}
}
