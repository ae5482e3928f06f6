package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// offlineResolver answers BuildKit's base image look-ups without a
// registry: every base is a linux image with the Go image's environment.
// BuildKit resolves stages concurrently.
type offlineResolver struct {
	mu   sync.Mutex
	seen []string
}

var _ sourceresolver.ImageMetaResolver = (*offlineResolver)(nil)

func (r *offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	r.mu.Lock()
	r.seen = append(r.seen, ref)
	r.mu.Unlock()
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	cfg, err := json.Marshal(ocispecs.Image{
		Platform: p,
		Config:   ocispecs.ImageConfig{Env: []string{"PATH=/usr/local/go/bin:/usr/bin:/bin", "GOPATH=/go"}, WorkingDir: "/go"},
		RootFS:   ocispecs.RootFS{Type: "layers"},
	})
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(cfg), cfg, nil
}

// TestDockerfileLint runs every BuildKit lint rule (what `docker build
// --check` runs) over the Dockerfile for an app and fails on any warning.
func TestDockerfileLint(t *testing.T) {
	res := &offlineResolver{}
	for _, w := range lint(t, readDockerfile(t), res) {
		t.Error(w)
	}
	if len(res.seen) == 0 {
		t.Error("the linter resolved no base image: did it run?")
	}
	for _, ref := range res.seen {
		if !strings.Contains(ref, "/library/golang:1.") {
			t.Errorf("unexpected base image %s", ref)
		}
	}
}

// TestLintCatchesMistakes checks the lint harness reports the rules a
// careless Dockerfile breaks, so a clean result means something.
func TestLintCatchesMistakes(t *testing.T) {
	bad := "FROM golang:1.26 as build\nARG API_TOKEN=abc\nENV DB_PASSWORD=x\nWORKDIR /src/$UNDEFINED_THING\nentrypoint /app/service\n"
	got := strings.Join(lint(t, []byte(bad), &offlineResolver{}), "\n")
	for _, rule := range []string{"FromAsCasing", "SecretsUsedInArgOrEnv", "UndefinedVar", "JSONArgsRecommended", "ConsistentInstructionCasing"} {
		if !strings.Contains(got, rule) {
			t.Errorf("lint missed %s; got:\n%s", rule, got)
		}
	}
}

// lint converts dt as BuildKit's frontend would for APP=gateway on
// linux/arm64 from a linux/amd64 builder and returns every warning as
// "Dockerfile:LINE: RULE: detail".
func lint(t *testing.T, dt []byte, res *offlineResolver) []string {
	t.Helper()
	src := llb.Local("dockerfile")
	def, err := src.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	results, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		Config: dockerui.Config{
			BuildArgs:      map[string]string{"APP": "gateway"},
			BuildPlatforms: []ocispecs.Platform{{OS: "linux", Architecture: "amd64"}},
		},
		MetaResolver:   res,
		TargetPlatform: &ocispecs.Platform{OS: "linux", Architecture: "arm64"},
		SourceMap:      sourceMap(&src, def, dt),
	})
	if err != nil {
		t.Fatal(err)
	}
	if results.Error != nil {
		t.Fatalf("Dockerfile does not convert: %s", results.Error.Message)
	}
	var out []string
	for _, w := range results.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, fmt.Sprintf("Dockerfile:%d: %s: %s", line, w.RuleName, w.Detail))
	}
	return out
}

func readDockerfile(t *testing.T) []byte {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// sourceMap describes the Dockerfile as BuildKit's frontend does.
func sourceMap(src *llb.State, def *llb.Definition, dt []byte) *llb.SourceMap {
	sm := llb.NewSourceMap(src, "Dockerfile", "Dockerfile", dt)
	sm.Definition = def
	return sm
}
