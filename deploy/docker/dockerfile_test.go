package docker

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// parseStages parses the Dockerfile with BuildKit's parser, failing on any
// warning the parse-time lint rules raise.
func parseStages(t *testing.T, dt []byte) []instructions.Stage {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		t.Fatalf("parsing Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile:%d: parser: %s", w.Location.Start.Line, w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		t.Errorf("Dockerfile:%d: %s: %s", line, rule, msg)
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("parsing Dockerfile instructions: %v", err)
	}
	return stages
}

// TestDockerfileStructure checks what the Dockerfile promises: a cached
// module download layer, a static trimmed cross-compile of APP with cache
// mounts, and a nonroot scratch runtime identical in shape to cent image's.
func TestDockerfileStructure(t *testing.T) {
	stages := parseStages(t, readDockerfile(t))
	var names []string
	for _, s := range stages {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"build", "rootfs", "runtime"}) {
		t.Fatalf("stages %v, want build, rootfs, runtime", names)
	}
	checkBuildStage(t, stages[0])
	checkRuntimeStage(t, stages[2])
	for _, s := range stages {
		checkNoSecrets(t, s)
	}
}

func checkBuildStage(t *testing.T, s instructions.Stage) {
	t.Helper()
	if s.Platform != "$BUILDPLATFORM" {
		t.Errorf("build stage platform %q: want $BUILDPLATFORM (cross-compile, no emulation)", s.Platform)
	}
	var order []string
	var build *instructions.RunCommand
	args := map[string]bool{}
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			order = append(order, "COPY "+strings.Join(c.SourcePaths, " "))
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				args[a.Key] = true
			}
		case *instructions.RunCommand:
			line := strings.Join(c.CmdLine, " ")
			switch {
			case strings.Contains(line, "go mod download"):
				order = append(order, "RUN go mod download")
				checkMounts(t, c, "/go/pkg/mod")
			case strings.Contains(line, "go build"):
				order = append(order, "RUN go build")
				build = c
			}
		}
	}
	want := []string{"COPY go.mod go.sum", "RUN go mod download", "COPY .", "RUN go build"}
	if !slices.Equal(order, want) {
		t.Errorf("build stage order %q, want %q", order, want)
	}
	if build == nil {
		t.Fatal("no go build")
	}
	checkMounts(t, build, "/go/pkg/mod", "/root/.cache/go-build")
	line := strings.Join(build.CmdLine, " ")
	for _, w := range []string{"CGO_ENABLED=0", "-trimpath", "-buildvcs=false", "-ldflags=-buildid=", `GOARCH="${TARGETARCH}"`, `"./${APP_DIR}"`, `"${APP}"`, "-o /out/service"} {
		if !strings.Contains(line, w) {
			t.Errorf("go build step lacks %s: %s", w, line)
		}
	}
	for _, a := range []string{"APP", "APP_DIR", "TARGETOS", "TARGETARCH"} {
		if !args[a] {
			t.Errorf("build stage does not declare ARG %s", a)
		}
	}
}

// checkMounts checks a RUN has cache mounts at exactly the targets.
func checkMounts(t *testing.T, c *instructions.RunCommand, targets ...string) {
	t.Helper()
	// Mount flags are evaluated on expansion; nothing here needs expanding.
	if err := c.Expand(func(w string) (string, error) { return w, nil }); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range instructions.GetMounts(c) {
		if m.Type != instructions.MountTypeCache {
			t.Errorf("RUN mount %s is a %s mount, want cache", m.Target, m.Type)
		}
		got = append(got, m.Target)
	}
	if !slices.Equal(got, targets) {
		t.Errorf("RUN %s: cache mounts %v, want %v", strings.Join(c.CmdLine, " "), got, targets)
	}
}

func checkRuntimeStage(t *testing.T, s instructions.Stage) {
	t.Helper()
	if s.BaseName != "scratch" {
		t.Errorf("runtime stage from %q, want scratch", s.BaseName)
	}
	var user, workdir string
	var entry []string
	var copies []string
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.WorkdirCommand:
			workdir = c.Path
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				t.Error("ENTRYPOINT in shell form: scratch has no shell")
			}
			entry = c.CmdLine
		case *instructions.CopyCommand:
			copies = append(copies, c.From+":"+strings.Join(c.SourcePaths, " ")+"->"+c.DestPath)
		case *instructions.RunCommand:
			t.Errorf("RUN in the runtime stage: %s", strings.Join(c.CmdLine, " "))
		}
	}
	if user != "65532:65532" {
		t.Errorf("USER %q, want 65532:65532", user)
	}
	if workdir != "/app" || !slices.Equal(entry, []string{"/app/service"}) {
		t.Errorf("WORKDIR %q ENTRYPOINT %q", workdir, entry)
	}
	want := []string{"rootfs:/rootfs/->/", "build:/out/service->/app/service"}
	if !slices.Equal(copies, want) {
		t.Errorf("runtime copies %q, want %q", copies, want)
	}
}

var secretName = regexp.MustCompile(`(?i)(secret|token|passw|api_?key|private|credential)`)

// checkNoSecrets rejects ADD (URLs and archives fetch or unpack behind the
// reader's back), secret-looking ARG or ENV names and copied key files.
func checkNoSecrets(t *testing.T, s instructions.Stage) {
	t.Helper()
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.AddCommand:
			t.Errorf("stage %s: ADD %v: use COPY", s.Name, c.SourcePaths)
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				if secretName.MatchString(a.Key) {
					t.Errorf("stage %s: ARG %s looks like a secret", s.Name, a.Key)
				}
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if secretName.MatchString(kv.Key) {
					t.Errorf("stage %s: ENV %s looks like a secret", s.Name, kv.Key)
				}
			}
		case *instructions.CopyCommand:
			for _, src := range c.SourcePaths {
				if strings.Contains(src, ".env") || strings.HasSuffix(src, ".pem") || strings.HasSuffix(src, ".key") {
					t.Errorf("stage %s: COPY %s copies a secret", s.Name, src)
				}
			}
		}
	}
}

// TestDockerfileGoVersion keeps the builder image on go.mod's toolchain.
func TestDockerfileGoVersion(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	froms := regexp.MustCompile(`(?m)^FROM .*\bgolang:(\S+?)-`).FindAllSubmatch(readDockerfile(t), -1)
	if len(froms) == 0 {
		t.Fatal("Dockerfile has no golang stage")
	}
	for _, f := range froms {
		if string(f[1]) != string(m[1]) {
			t.Errorf("Dockerfile stage %q uses Go %s, go.mod says %s", f[0], f[1], m[1])
		}
	}
}

// TestDockerignore checks the context keeps the sources and drops history,
// outputs and deployment values, using BuildKit's own pattern matcher.
func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	for path, excluded := range map[string]bool{
		"go.mod": false, "go.sum": false, "apps/gateway/main.go": false,
		"libs/platform/chassis/chassis.go": false, "tools/cent/main.go": false,
		"apps/gateway/internal/gateway/testdata/x.yaml": false,
		".git/HEAD": true, ".github/workflows/ci.yaml": true, "dist/orders.tar": true,
		"bench/out/result.txt": true, "tools/cent/pkg/image/image.test": true,
		"cent": true, "apps/gateway/deploy/values.yaml": true, "deploy/charts/service/Chart.yaml": true,
		"cpu.prof": true, "Dockerfile": true,
	} {
		got, err := pm.MatchesOrParentMatches(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != excluded {
			t.Errorf(".dockerignore: %s excluded=%v, want %v", path, got, excluded)
		}
	}
}
