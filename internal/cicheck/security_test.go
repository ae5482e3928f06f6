package cicheck

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
)

// dependabotConfig is the part of the dependabot.yml schema this repository
// uses; decoding is strict, so a misspelt key fails.
type dependabotConfig struct {
	Version int `yaml:"version"`
	Updates []struct {
		Ecosystem string `yaml:"package-ecosystem"`
		Directory string `yaml:"directory"`
		Schedule  struct {
			Interval string `yaml:"interval"`
			Day      string `yaml:"day"`
			Time     string `yaml:"time"`
			Timezone string `yaml:"timezone"`
		} `yaml:"schedule"`
		Labels        []string `yaml:"labels"`
		CommitMessage struct {
			Prefix string `yaml:"prefix"`
		} `yaml:"commit-message"`
		OpenPullRequestsLimit *int      `yaml:"open-pull-requests-limit"`
		Groups                yaml.Node `yaml:"groups"`
		groups                []dependabotGroup
	} `yaml:"updates"`
}

// dependabotGroup is one entry of an update's groups, in file order.
type dependabotGroup struct {
	Name            string   `yaml:"-"`
	Patterns        []string `yaml:"patterns"`
	ExcludePatterns []string `yaml:"exclude-patterns"`
	UpdateTypes     []string `yaml:"update-types"`
}

// match reports whether the group takes module (Dependabot's patterns: *
// matches any run of characters, / included).
func (g dependabotGroup) match(module string) bool {
	in := false
	for _, p := range g.Patterns {
		in = in || globMatch(p, module)
	}
	for _, p := range g.ExcludePatterns {
		in = in && !globMatch(p, module)
	}
	return in
}

func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(s)
}

// loadDependabot decodes data strictly, keeping the groups' order (a module
// belongs to the first group that matches it).
func loadDependabot(data []byte) (*dependabotConfig, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c dependabotConfig
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	for i := range c.Updates {
		u := &c.Updates[i]
		if u.Groups.Kind == 0 {
			continue
		}
		if u.Groups.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: groups must be a mapping", u.Groups.Line)
		}
		for j := 0; j+1 < len(u.Groups.Content); j += 2 {
			var g dependabotGroup
			if err := u.Groups.Content[j+1].Decode(&g); err != nil {
				return nil, err
			}
			// Node.Decode is not strict: check the keys by hand.
			for k := 0; k < len(u.Groups.Content[j+1].Content); k += 2 {
				key := u.Groups.Content[j+1].Content[k]
				if !slices.Contains([]string{"patterns", "exclude-patterns", "update-types"}, key.Value) {
					return nil, fmt.Errorf("line %d: field %s not found in type dependabotGroup", key.Line, key.Value)
				}
			}
			g.Name = u.Groups.Content[j].Value
			u.groups = append(u.groups, g)
		}
	}
	return &c, nil
}

// manifests says which file each ecosystem needs in its directory.
var manifests = map[string]func(dir string) ([]string, error){
	"gomod":  func(dir string) ([]string, error) { return filepath.Glob(filepath.Join(dir, "go.mod")) },
	"docker": func(dir string) ([]string, error) { return filepath.Glob(filepath.Join(dir, "Dockerfile")) },
	"github-actions": func(dir string) ([]string, error) {
		return filepath.Glob(filepath.Join(dir, ".github", "workflows", "*.y*ml"))
	},
}

// supportedEcosystems are Dependabot's package-ecosystem values.
var supportedEcosystems = []string{"bun", "bundler", "cargo", "composer", "devcontainers", "docker", "docker-compose",
	"dotnet-sdk", "elm", "github-actions", "gitsubmodule", "gomod", "gradle", "helm", "maven", "mix", "npm",
	"nuget", "pip", "pub", "swift", "terraform", "uv"}

// TestDependabotConfig checks .github/dependabot.yml: strict keys, known
// ecosystems whose directories hold their manifests, valid schedules, and
// groups that take the modules they are meant for.
func TestDependabotConfig(t *testing.T) {
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, ".github", "dependabot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadDependabot(data)
	if err != nil {
		t.Fatalf(".github/dependabot.yml: %v", err)
	}
	if c.Version != 2 {
		t.Errorf("version %d, want 2", c.Version)
	}
	seen := map[string]bool{}
	for _, u := range c.Updates {
		where := u.Ecosystem + " " + u.Directory
		if !slices.Contains(supportedEcosystems, u.Ecosystem) {
			t.Errorf("%s: unknown package-ecosystem %q", where, u.Ecosystem)
		}
		if seen[where] {
			t.Errorf("%s: listed twice", where)
		}
		seen[where] = true
		if !strings.HasPrefix(u.Directory, "/") {
			t.Errorf("%s: directory must start with / (the repository root)", where)
		}
		dir := filepath.Join(root, filepath.FromSlash(u.Directory))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Errorf("%s: directory does not exist: %v", where, err)
		} else if find, ok := manifests[u.Ecosystem]; ok {
			if files, _ := find(dir); len(files) == 0 {
				t.Errorf("%s: the directory holds no file this ecosystem reads", where)
			}
		} else {
			t.Errorf("%s: this test does not know which file the ecosystem needs; add it to manifests", where)
		}
		s := u.Schedule
		if !slices.Contains([]string{"daily", "weekly", "monthly"}, s.Interval) {
			t.Errorf("%s: schedule interval %q", where, s.Interval)
		}
		if s.Day != "" && !slices.Contains([]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}, s.Day) {
			t.Errorf("%s: schedule day %q", where, s.Day)
		}
		if s.Time != "" && !regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`).MatchString(s.Time) {
			t.Errorf("%s: schedule time %q, want HH:MM", where, s.Time)
		}
		if len(u.Labels) == 0 || !slices.Contains(u.Labels, "dependencies") {
			t.Errorf("%s: labels %v, want at least dependencies", where, u.Labels)
		}
		for _, g := range u.groups {
			if len(g.Patterns) == 0 {
				t.Errorf("%s: group %s has no patterns", where, g.Name)
			}
			for _, ut := range g.UpdateTypes {
				if !slices.Contains([]string{"major", "minor", "patch"}, ut) {
					t.Errorf("%s: group %s: update type %q", where, g.Name, ut)
				}
			}
		}
	}
	for _, eco := range []string{"gomod", "github-actions", "docker"} {
		if !seen[eco+" /"] {
			t.Errorf("no %s update for /", eco)
		}
	}
	checkGoGroups(t, root, c)
}

// checkGoGroups checks the gomod groups against go.mod: OpenTelemetry and
// the collector share one group, Kubernetes has its own, everything else
// falls into one minor-and-patch group, and no group is dead.
func checkGoGroups(t *testing.T, root string, c *dependabotConfig) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range c.Updates {
		if u.Ecosystem != "gomod" {
			continue
		}
		groupOf := func(module string) *dependabotGroup {
			for i := range u.groups {
				if u.groups[i].match(module) {
					return &u.groups[i]
				}
			}
			return nil
		}
		used := map[string]bool{}
		for _, r := range mf.Require {
			if g := groupOf(r.Mod.Path); g != nil {
				used[g.Name] = true
			}
		}
		for _, g := range u.groups {
			if !used[g.Name] {
				t.Errorf("gomod group %s takes no module of go.mod", g.Name)
			}
		}
		otel, collector := groupOf("go.opentelemetry.io/otel/sdk"), groupOf("go.opentelemetry.io/collector/component")
		contrib := groupOf("github.com/open-telemetry/opentelemetry-collector-contrib/pkg/status")
		if otel == nil || collector != otel || contrib != otel || len(otel.UpdateTypes) != 0 {
			t.Errorf("OpenTelemetry, the collector and collector-contrib must share one group for every update type; got %v, %v, %v", otel, collector, contrib)
		}
		k8s := groupOf("k8s.io/client-go")
		if k8s == nil || k8s == otel || groupOf("k8s.io/apimachinery") != k8s {
			t.Errorf("k8s.io modules must have their own group; got %v", k8s)
		}
		rest := groupOf("github.com/spf13/cobra")
		if rest == nil || rest == otel || rest == k8s || !slices.Equal(rest.UpdateTypes, []string{"minor", "patch"}) {
			t.Errorf("other modules must share one minor-and-patch group; got %v", rest)
		}
	}
}

func TestDependabotLoaderIsStrict(t *testing.T) {
	for doc, want := range map[string]string{
		"version: 2\nupdates:\n  - package-ecosystem: gomod\n    directroy: /\n":                                     "directroy",
		"version: 2\nupdates:\n  - package-ecosystem: gomod\n    groups:\n      all:\n        pattern: ['*']\n":      "pattern",
		"version: 2\nupdates:\n  - package-ecosystem: gomod\n    schedule:\n      interval: weekly\n      hour: 5\n": "hour",
	} {
		if _, err := loadDependabot([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error naming %s", doc, err, want)
		}
	}
	c, err := loadDependabot([]byte("version: 2\nupdates:\n  - package-ecosystem: gomod\n    groups:\n      b: {patterns: [x]}\n      a: {patterns: ['*']}\n"))
	if err != nil || len(c.Updates[0].groups) != 2 || c.Updates[0].groups[0].Name != "b" {
		t.Errorf("groups must keep file order: %+v, %v", c, err)
	}
}

// securityWorkflow is the part of security.yaml the shape test reads.
type securityWorkflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Steps []struct {
			Name string         `yaml:"name"`
			Uses string         `yaml:"uses"`
			Run  string         `yaml:"run"`
			With map[string]any `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestSecurityWorkflow lints security.yaml, checks its triggers, and runs
// its two shell steps (choosing the base, then the scan) with bash in a git
// repository, with a stand-in cent that prints its arguments.
func TestSecurityWorkflow(t *testing.T) {
	root := repoRoot(t)
	file := filepath.Join(root, ".github", "workflows", "security.yaml")
	shellcheck, _ := exec.LookPath("shellcheck")
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: shellcheck, WorkingDir: root})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFile(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("security.yaml:%d:%d: %s [%s]", e.Line, e.Column, e.Message, e.Kind)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var wf securityWorkflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{"pull_request", "push", "schedule", "workflow_dispatch"} {
		if _, ok := wf.On[ev]; !ok {
			t.Errorf("security.yaml does not run on %s", ev)
		}
	}
	job, ok := wf.Jobs["vuln"]
	if !ok {
		t.Fatal("security.yaml has no vuln job")
	}
	steps := map[string]string{}
	fullHistory, modules := false, false
	for _, s := range job.Steps {
		steps[s.Name] = s.Run
		if s.Name == "Scan" && !modules {
			t.Error("the Scan step must come after a step fetching the modules' go.mod files (go list -m all or go mod download), or --affected treats a go.mod change as touching every package")
		}
		modules = modules || strings.Contains(s.Run, "go list -m all") || strings.Contains(s.Run, "go mod download")
		if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["fetch-depth"] == 0 {
			fullHistory = true
		}
	}
	if !fullHistory {
		t.Error("the vuln job must check out the full history (fetch-depth: 0)")
	}
	chooseBase, scan := steps["Choose the base commit"], steps["Scan"]
	if chooseBase == "" || scan == "" {
		t.Fatalf("steps %q and %q are needed", "Choose the base commit", "Scan")
	}
	runSecuritySteps(t, chooseBase, scan)
}

func runSecuritySteps(t *testing.T, chooseBase, scan string) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is required: %v", err)
	}
	repo, tmp := t.TempDir(), t.TempDir()
	gitEnv := []string{"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + tmp}
	run := func(script string, env ...string) string {
		t.Helper()
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = repo
		cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "RUNNER_TEMP=" + tmp}, gitEnv...), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("git init -q -b main && git commit -q --allow-empty -m one && git commit -q --allow-empty -m two")
	mainSHA := run("git rev-parse HEAD")
	run("git checkout -q -b topic && git commit -q --allow-empty -m three")
	if err := os.WriteFile(filepath.Join(tmp, "cent"), []byte("#!/bin/sh\necho \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"pull request", []string{"EVENT=pull_request", "PR_BASE=" + mainSHA}, "vuln --affected --base " + mainSHA + " --fallback-all"},
		{"push", []string{"EVENT=push", "BEFORE=" + mainSHA}, "vuln --affected --base " + mainSHA + " --fallback-all"},
		{"push of a new branch", []string{"EVENT=push", "BEFORE=0000000000000000000000000000000000000000"}, "vuln --all"},
		{"push after a forced rewrite", []string{"EVENT=push", "BEFORE=1111111111111111111111111111111111111111"}, "vuln --all"},
		{"nightly", []string{"EVENT=schedule"}, "vuln --all"},
		{"manual", []string{"EVENT=workflow_dispatch"}, "vuln --all"},
	} {
		t.Run(c.name, func(t *testing.T) {
			outFile := filepath.Join(t.TempDir(), "github-output")
			run(chooseBase, append(c.env, "GITHUB_OUTPUT="+outFile)...)
			out, err := os.ReadFile(outFile)
			if err != nil {
				t.Fatal(err)
			}
			base, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "base=")
			if !ok {
				t.Fatalf("GITHUB_OUTPUT = %q, want base=...", out)
			}
			if got := run(scan, "BASE="+base); got != c.want {
				t.Errorf("cent was run as %q, want %q", got, c.want)
			}
		})
	}
}
