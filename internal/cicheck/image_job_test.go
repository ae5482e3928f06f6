package cicheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// ciWorkflow parses ci.yaml with actionlint's own parser (the AST the
// linter checks), failing on any parse error.
func ciWorkflow(t *testing.T) *actionlint.Workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "workflows", "ci.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wf, errs := actionlint.Parse(data)
	for _, e := range errs {
		t.Errorf("ci.yaml:%d:%d: %s", e.Line, e.Column, e.Message)
	}
	if wf == nil {
		t.FailNow()
	}
	return wf
}

func job(t *testing.T, wf *actionlint.Workflow, id string) *actionlint.Job {
	t.Helper()
	j, ok := wf.Jobs[id]
	if !ok {
		t.Fatalf("ci.yaml has no %s job", id)
	}
	return j
}

func needs(j *actionlint.Job) []string {
	var out []string
	for _, n := range j.Needs {
		out = append(out, n.Value)
	}
	return out
}

func permission(j *actionlint.Job, scope string) string {
	if j.Permissions == nil {
		return ""
	}
	if p, ok := j.Permissions.Scopes[scope]; ok {
		return p.Value.Value
	}
	return ""
}

// runScript returns the job's run: scripts joined, with each step's env.
func runScript(j *actionlint.Job) (script string, env map[string]string) {
	var b strings.Builder
	env = map[string]string{}
	for _, s := range j.Steps {
		if s.Env != nil {
			for _, v := range s.Env.Vars {
				env[v.Name.Value] = v.Value.Value
			}
		}
		if r, ok := s.Exec.(*actionlint.ExecRun); ok && r.Run != nil {
			b.WriteString(r.Run.Value + "\n")
		}
	}
	if j.Env != nil {
		for _, v := range j.Env.Vars {
			env[v.Name.Value] = v.Value.Value
		}
	}
	return b.String(), env
}

// TestCIImageJob checks the delivery end of the pipeline: after the test and
// build matrices, pushes to main (and nothing else) build and push the
// affected images with cent image, pin their digests with cent deploy
// set-image and commit that change as a bot; only this job may write
// packages and contents.
func TestCIImageJob(t *testing.T) {
	wf := ciWorkflow(t)
	img := job(t, wf, "image")
	for _, n := range []string{"plan", "test", "build"} {
		if !slices.Contains(needs(img), n) {
			t.Errorf("image job needs %v, want %s among them", needs(img), n)
		}
	}
	if img.If == nil {
		t.Fatal("image job has no if: it would run on pull requests")
	}
	cond := img.If.Value
	for _, want := range []string{"github.event_name == 'push'", "github.ref == 'refs/heads/main'", "needs.build.result == 'success'", "!cancelled()"} {
		if !strings.Contains(cond, want) {
			t.Errorf("image job if: %q lacks %q", cond, want)
		}
	}
	if strings.Contains(cond, "always()") {
		t.Errorf("image job if: %q must not use always() (a cancelled run would still push)", cond)
	}
	if got := permission(img, "packages"); got != "write" {
		t.Errorf("image job permissions.packages = %q, want write", got)
	}
	if got := permission(img, "contents"); got != "write" {
		t.Errorf("image job permissions.contents = %q, want write", got)
	}
	for id, j := range wf.Jobs {
		if id == "image" {
			continue
		}
		for _, scope := range []string{"packages", "contents"} {
			if permission(j, scope) == "write" {
				t.Errorf("job %s may write %s: only the image job should", id, scope)
			}
		}
	}
	if wf.Permissions == nil || wf.Permissions.Scopes["contents"] == nil || wf.Permissions.Scopes["contents"].Value.Value != "read" {
		t.Error("the workflow's default permissions must be contents: read")
	}

	script, env := runScript(img)
	// Affected images from the plan's base, pushed to a configured registry.
	buildPush := regexp.MustCompile(`cent" image --affected --base "\$BASE"[^\n]*(\\\n[^\n]*)*--push "\$IMAGE_REPO"`)
	if !buildPush.MatchString(script) {
		t.Errorf("image job does not run cent image --affected --base \"$BASE\" ... --push \"$IMAGE_REPO\":\n%s", script)
	}
	if env["BASE"] != "${{ needs.plan.outputs.base }}" {
		t.Errorf("BASE = %q, want the plan job's base", env["BASE"])
	}
	if !strings.HasPrefix(env["IMAGE_REPO"], "${{ vars.") {
		t.Errorf("IMAGE_REPO = %q: the registry must come from configuration (vars)", env["IMAGE_REPO"])
	}
	// cent deploy runs the cent-full binary found next to cent.
	if !strings.Contains(script, buildBoth) {
		t.Errorf("image job does not build cent-full next to cent:\n%s", script)
	}
	for _, want := range []string{
		`cent" deploy set-image "$app" --digest "$digest"`,
		`cent" deploy preview`,
		"github-actions[bot]",
		"git commit",
		"git push origin HEAD:main",
		"[skip ci]",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("image job script lacks %q", want)
		}
	}
	if i, j := strings.Index(script, "deploy preview"), strings.Index(script, "git commit"); i < 0 || j < 0 || i > j {
		t.Error("image job must render every Application (cent deploy preview) before committing the pinned digests")
	}
	checkout := false
	for _, s := range img.Steps {
		if a, ok := s.Exec.(*actionlint.ExecAction); ok && strings.HasPrefix(a.Uses.Value, "actions/checkout@") {
			if in, ok := a.Inputs["fetch-depth"]; ok && in.Value.Value == "0" {
				checkout = true
			}
		}
	}
	if !checkout {
		t.Error("image job must check out the full history (fetch-depth: 0) for cent image --affected")
	}

	// The build matrix fills the cache with the same image flags, so that
	// the image job only restores and pushes.
	const imageFlags = `--sbom --source "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY"`
	if !strings.Contains(script, imageFlags) {
		t.Errorf("image job: cent image without %s", imageFlags)
	}
	build, _ := runScript(job(t, wf, "build"))
	if !strings.Contains(build, `cent" image `+imageFlags+` "${projects[@]}"`) {
		t.Errorf("build job does not build its apps' images with the image job's flags (%s):\n%s", imageFlags, build)
	}

	ok := job(t, wf, "ci-ok")
	if !slices.Contains(needs(ok), "image") {
		t.Errorf("ci-ok needs %v: a failed image job must turn it red", needs(ok))
	}
}

// TestCIGoCache checks every job that sets up Go keys its module and build
// caches on go.sum.
func TestCIGoCache(t *testing.T) {
	wf := ciWorkflow(t)
	jobs := 0
	for id, j := range wf.Jobs {
		for _, s := range j.Steps {
			a, ok := s.Exec.(*actionlint.ExecAction)
			if !ok || !strings.HasPrefix(a.Uses.Value, "actions/setup-go@") {
				continue
			}
			jobs++
			in, ok := a.Inputs["cache-dependency-path"]
			if !ok || in.Value.Value != "go.sum" {
				t.Errorf("job %s: actions/setup-go without cache-dependency-path: go.sum", id)
			}
			if v, ok := a.Inputs["go-version-file"]; !ok || v.Value.Value != "go.mod" {
				t.Errorf("job %s: actions/setup-go must take the version from go.mod", id)
			}
		}
	}
	if jobs < 4 {
		t.Errorf("%d jobs set up Go, want plan, test, build and image", jobs)
	}
}
