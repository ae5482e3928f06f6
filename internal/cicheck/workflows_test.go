package cicheck

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestWorkflowsLint runs actionlint (with shellcheck on every run: script)
// over every workflow; any finding fails the test.
func TestWorkflowsLint(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.y*ml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found: %v", err)
	}
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil && os.Getenv("CI") != "" {
		t.Fatalf("shellcheck is required in CI (apt-get install shellcheck): %v", err)
	}
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: shellcheck, WorkingDir: root})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		errs, err := l.LintFile(f, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range errs {
			t.Errorf("%s:%d:%d: %s [%s]", filepath.Base(f), e.Line, e.Column, e.Message, e.Kind)
		}
	}
}

// TestCIWorkflowShape checks what the pipeline promises: a plan job with the
// full history that computes matrices with cent, and matrix jobs fed by them.
// buildBoth is the step that builds cent and cent-full into one directory.
const buildBoth = `go build -o "$RUNNER_TEMP/" ./tools/cent ./tools/cent/cmd/cent-full`

func TestCIWorkflowShape(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "workflows", "ci.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Needs    any               `yaml:"needs"`
			Outputs  map[string]string `yaml:"outputs"`
			Strategy struct {
				Matrix any `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				With map[string]any    `yaml:"with"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	plan, ok := wf.Jobs["plan"]
	if !ok {
		t.Fatal("no plan job")
	}
	fullHistory, matrix := false, 0
	for _, s := range plan.Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["fetch-depth"] == 0 {
			fullHistory = true
		}
		if strings.Contains(s.Run, "ci matrix") && strings.Contains(s.Run, "--github-output") {
			matrix++
		}
	}
	if !fullHistory {
		t.Error("plan job must check out the full history (fetch-depth: 0)")
	}
	if matrix != 2 {
		t.Errorf("plan job runs cent ci matrix %d times, want 2 (test and build)", matrix)
	}
	for job, out := range map[string]string{"test": "test-matrix", "build": "build-matrix"} {
		j, ok := wf.Jobs[job]
		if !ok {
			t.Fatalf("no %s job", job)
		}
		m, _ := j.Strategy.Matrix.(string)
		if m != "${{ fromJSON(needs.plan.outputs."+out+") }}" {
			t.Errorf("%s job matrix = %v", job, j.Strategy.Matrix)
		}
		if _, ok := plan.Outputs[out]; !ok {
			t.Errorf("plan job has no output %s", out)
		}
		ran, full := false, false
		for _, s := range j.Steps {
			if strings.Contains(s.Run, "cent\" run -t") {
				ran = true
			}
			// CENT_REMOTE_CACHE may be an s3:// or gs:// bucket, which
			// cent hands to cent-full.
			full = full || strings.Contains(s.Run, buildBoth)
		}
		if !ran {
			t.Errorf("%s job does not run cent run", job)
		}
		if !full {
			t.Errorf("%s job does not build cent-full next to cent", job)
		}
	}
}
