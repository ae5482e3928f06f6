package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"go/format"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/centuria/centuria/tools/cent/internal/deploytree"
	"github.com/centuria/centuria/tools/cent/pkg/deploy"
)

// runtimeDirs are the repository paths a new app needs to build and test:
// the chassis and the test helpers.
var runtimeDirs = []string{"go.mod", "go.sum", "libs/platform", "internal/testenv"}

// chassisWorkspace copies the chassis, the test helpers, the chart and the
// ApplicationSet of this repository into a temporary workspace with one
// existing app, committed on branch main.
func chassisWorkspace(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := deploytree.New(t, repo, map[string]string{
		"hello": "image: {repository: r/hello, tag: main, allowTag: true}\n",
	}, map[string]string{
		"apps/hello/main.go": "package main\n\nfunc main() {}\n",
	})
	for _, p := range runtimeDirs {
		copyPath(t, filepath.Join(repo, p), filepath.Join(dir, p))
	}
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "base")
	return dir
}

// copyPath copies a file or a directory tree.
func copyPath(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// goCmd runs the go command in dir and returns its combined output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestNewAppZeroEdits is the scaffold's promise: after cent new app with no
// edit, the app builds, vets, is gofmt'ed, passes cent lint and its own
// test (the service started in process against PostgreSQL and NATS),
// appears in cent affected, the CI matrix and the ApplicationSet preview,
// and its chart renders. A new library builds, tests and lints too.
func TestNewAppZeroEdits(t *testing.T) {
	t.Parallel()
	dir := chassisWorkspace(t)
	out, _ := cent(t, dir, 0, "new", "app", "billing", "--scope", "billing")
	for _, f := range []string{"main.go", "main_test.go", "README.md", "project.yaml", "migrations/00001_init.sql", "deploy/values.yaml"} {
		if !strings.Contains(out, "created apps/billing/"+f+"\n") {
			t.Errorf("cent new app output lacks %s:\n%s", f, out)
		}
	}
	out, _ = cent(t, dir, 0, "new", "lib", "invoices", "--type", "data-access", "--scope", "billing")
	if !strings.Contains(out, "project billing-data-access-invoices in libs/billing/data-access-invoices") {
		t.Errorf("cent new lib output:\n%s", out)
	}

	goCmd(t, dir, "build", "-o", t.TempDir()+"/", "./apps/billing", "./libs/billing/...")
	goCmd(t, dir, "vet", "./apps/billing", "./libs/billing/...")
	checkGofmt(t, filepath.Join(dir, "apps/billing"), filepath.Join(dir, "libs/billing"))
	cent(t, dir, 0, "lint")

	// Affected against the base commit: the new projects, not the others.
	out, _ = cent(t, dir, 0, "affected", "--base", "main")
	if got := strings.Fields(out); !slices.Equal(got, []string{"billing", "billing-data-access-invoices"}) {
		t.Errorf("cent affected = %v, want the new app and library", got)
	}
	out, _ = cent(t, dir, 0, "ci", "matrix", "--base", "main", "-t", "build", "--type", "app")
	var m struct {
		Include []struct {
			Projects string `json:"projects"`
			Roots    string `json:"roots"`
		} `json:"include"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("matrix %s: %v", out, err)
	}
	if len(m.Include) != 1 || m.Include[0].Projects != "billing" || m.Include[0].Roots != "apps/billing" {
		t.Errorf("CI build matrix = %s, want billing alone", out)
	}

	// The ApplicationSet makes an Application of it, and the chart renders
	// (what cent deploy preview runs; cent-full's own test runs the verb).
	res, err := deploy.Preview(context.Background(), dir, deploy.Options{Apps: []string{"billing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("preview of billing: %+v", res)
	}
	if f := res[0].Application.File; f != "apps/billing/deploy/values.yaml" {
		t.Errorf("Application values file %q", f)
	}
	if ns := res[0].Application.Destination.Namespace; ns != "billing" {
		t.Errorf("Application namespace %q", ns)
	}
	checkBillingDeployment(t, res[0].Manifests)

	// The generated test: the service starts in process and answers.
	out = goCmd(t, dir, "test", "-race", "-count=1", "-v", "./apps/billing", "./libs/billing/...")
	for _, want := range []string{"--- PASS: TestService", "--- PASS: TestName"} {
		if !strings.Contains(out, want) {
			t.Errorf("go test output lacks %q:\n%s", want, out)
		}
	}
}

// checkGofmt fails for every Go file under dirs that gofmt would change.
func checkGofmt(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(p, ".go") {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if got, err := format.Source(src); err != nil || !bytes.Equal(got, src) {
				t.Errorf("%s is not gofmt'ed (%v)", p, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkBillingDeployment checks the rendered Deployment runs the image with
// probes on the runtime's admin listener and the database URL from its
// secret.
func checkBillingDeployment(t *testing.T, manifests []deploy.Manifest) {
	t.Helper()
	var kinds []string
	var dep *appsv1.Deployment
	for _, mf := range manifests {
		kinds = append(kinds, mf.Kind)
		if mf.Kind == "Deployment" {
			dep = &appsv1.Deployment{}
			if err := yaml.UnmarshalStrict([]byte(mf.Content), dep); err != nil {
				t.Fatalf("Deployment: %v\n%s", err, mf.Content)
			}
		}
	}
	for _, k := range []string{"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceAccount", "NetworkPolicy"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("rendered kinds %v lack %s", kinds, k)
		}
	}
	if dep == nil {
		t.Fatal("no Deployment rendered")
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example.com/centuria/billing:main" {
		t.Errorf("image %q", c.Image)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %+v", c.ReadinessProbe)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe %+v", c.LivenessProbe)
	}
	db := false
	for _, e := range c.Env {
		if e.Name == "DATABASE_URL" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == "billing-database" {
			db = true
		}
	}
	if !db {
		t.Errorf("no DATABASE_URL from the billing-database secret in %+v", c.Env)
	}
}

// TestNewValidation checks bad names, types and scopes, and taken names,
// fail with a clear message and write nothing.
func TestNewValidation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for p, c := range map[string]string{
		"go.mod":                           "module example.com/ws\n\ngo 1.26\n",
		"apps/hello/main.go":               "package main\n\nfunc main() {}\n",
		"tools/tax/main.go":                "package main\n\nfunc main() {}\n",
		"libs/platform/service/service.go": "package service\n",
	} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"new", "app", "Billing"}, `app name "Billing": want lowercase letters`},
		{[]string{"new", "app", "bill_ing"}, `app name "bill_ing"`},
		{[]string{"new", "app", "9lives"}, "starting with a letter"},
		{[]string{"new", "app", "billing-"}, "not ending with '-'"},
		{[]string{"new", "app", "bil--ling"}, `no "--"`},
		{[]string{"new", "app", strings.Repeat("a", 41)}, "at most 40"},
		{[]string{"new", "app", "hello"}, "already exists: project \"hello\" (apps/hello)"},
		{[]string{"new", "app", "tax"}, `already exists: project "tax" (tools/tax)`},
		{[]string{"new", "app", "billing", "--scope", "Billing"}, `scope "Billing"`},
		{[]string{"new", "app", "billing", "--image-repo", "Registry/x"}, `image repository "Registry/x"`},
		{[]string{"new", "app"}, "accepts 1 arg"},
		{[]string{"new", "lib", "tax", "--scope", "billing"}, "--type is required"},
		{[]string{"new", "lib", "tax", "--type", "util"}, "--scope is required"},
		{[]string{"new", "lib", "tax", "--type", "widget", "--scope", "billing"}, `library type "widget": want one of feature, ui, data-access, util`},
		{[]string{"new", "lib", "func", "--type", "util", "--scope", "billing"}, `package name "func" is reserved`},
		{[]string{"new", "lib", "util-tax", "--type", "util", "--scope", "billing"}, "leave the type prefix out"},
		{[]string{"new", "lib", "Tax", "--type", "util", "--scope", "billing"}, `library name "Tax"`},
		{[]string{"new", "lib", "tax", "--type", "util", "--scope", "bil.ling"}, `scope "bil.ling"`},
	} {
		_, stderr := cent(t, dir, 1, c.args...)
		if !strings.Contains(stderr, c.want) {
			t.Errorf("cent %v: stderr %q lacks %q", c.args, stderr, c.want)
		}
	}
	for _, p := range []string{"apps/billing", "libs/billing"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("%s exists after failed commands (%v)", p, err)
		}
	}

	// No runtime, no app.
	if err := os.RemoveAll(filepath.Join(dir, "libs/platform")); err != nil {
		t.Fatal(err)
	}
	if _, stderr := cent(t, dir, 1, "new", "app", "billing"); !strings.Contains(stderr, "the workspace has no libs/platform/service") {
		t.Errorf("no runtime: %q", stderr)
	}

	// An existing directory is refused, even when it holds no project.
	if err := os.MkdirAll(filepath.Join(dir, "libs/billing/util-tax"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, stderr := cent(t, dir, 1, "new", "lib", "tax", "--type", "util", "--scope", "billing")
	if !strings.Contains(stderr, "already exists: libs/billing/util-tax") {
		t.Errorf("existing directory: %q", stderr)
	}
	// A second lib of the scope is fine, and a second run of it is refused.
	cent(t, dir, 0, "new", "lib", "rates", "--type", "util", "--scope", "billing")
	_, stderr = cent(t, dir, 1, "new", "lib", "rates", "--type", "util", "--scope", "billing")
	if !strings.Contains(stderr, "already exists") {
		t.Errorf("second cent new lib rates: %q", stderr)
	}
}
