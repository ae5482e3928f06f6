package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/vuln"
	"github.com/centuria/centuria/tools/cent/pkg/vuln/vulntest"
)

// vulnWorkspace is a git repository whose apps use the fixture module: calls
// reaches the vulnerable function, clean imports the module and calls only a
// safe function. The go environment is offline (t.Setenv: not parallel).
func vulnWorkspace(t *testing.T) (dir, db string) {
	t.Helper()
	p := vulntest.NewProxy(t)
	for _, kv := range p.Env(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("CENT_GRAPH_CACHE", "off")
	t.Setenv(envVulnDB, "")
	dir = p.Workspace(t, "example.com/ws", map[string]string{
		"apps/calls/main.go": "package main\n\nimport \"example.com/vulnlib\"\n\nfunc main() { println(len(vulnlib.Parse(\"x\"))) }\n",
		"apps/clean/main.go": "package main\n\nimport \"example.com/vulnlib\"\n\nfunc main() { println(vulnlib.Quote(\"x\")) }\n",
		"README.md":          "fixture\n",
	})
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "base")
	return dir, vulntest.DB(t)
}

// vulnCent runs cent in-process in dir and returns its exit code and output.
func vulnCent(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Execute(context.Background(), append([]string{"-C", dir}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVulnReportsOnlyCallers(t *testing.T) {
	dir, db := vulnWorkspace(t)

	code, out, errs := vulnCent(t, dir, "vuln", "calls", "clean", "--db", db)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a reachable vulnerability)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{
		"calls: 1 reachable vulnerability\n",
		"  GO-2026-9001 (CVE-2026-99001): Unbounded allocation in example.com/vulnlib\n",
		"    found in example.com/vulnlib@v1.0.0, fixed in v1.0.1\n",
		"    example.com/vulnlib.Parse\n",
		"      apps/calls/main.go:5:40: calls.main calls vulnlib.Parse\n",
		"1 of 2 projects reach 1 vulnerability\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "clean:") {
		t.Errorf("clean calls no vulnerable function but is reported:\n%s", out)
	}

	code, out, errs = vulnCent(t, dir, "vuln", "clean", "--db", db)
	if code != 0 || out != "no reachable vulnerabilities in 1 project\n" {
		t.Errorf("clean alone: exit %d, stdout %q, stderr %q; want 0 and a clean report", code, out, errs)
	}

	// CENT_VULNDB names the database when --db does not; --json.
	t.Setenv(envVulnDB, db)
	code, out, errs = vulnCent(t, dir, "vuln", "--all", "--json")
	if code != 1 {
		t.Fatalf("--all --json: exit %d, stderr %s", code, errs)
	}
	var rep vuln.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if len(rep.Projects) != 2 || rep.Projects[0].Project != "calls" || rep.Projects[1].Project != "clean" {
		t.Fatalf("--all scanned %+v, want calls and clean", rep.Projects)
	}
	if v := rep.Projects[0].Vulns; len(v) != 1 || v[0].ID != vulntest.VulnID || v[0].Calls[0].Trace[0].Position != "apps/calls/main.go:5:40" {
		t.Errorf("calls: %+v", v)
	}
	if v := rep.Projects[1].Vulns; len(v) != 0 {
		t.Errorf("clean: %+v, want none", v)
	}
	if !strings.HasPrefix(rep.DB, "file://") {
		t.Errorf("db = %q, want the local directory as a file URL", rep.DB)
	}
}

func TestVulnAffected(t *testing.T) {
	dir, db := vulnWorkspace(t)
	git(t, dir, "checkout", "-q", "-b", "change")

	// Nothing changed: nothing to scan, exit 0.
	code, out, errs := vulnCent(t, dir, "vuln", "--affected", "--base", "main", "--db", db)
	if code != 0 || out != "no project to scan\n" {
		t.Errorf("no change: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	// A change in the clean project only: clean is scanned, calls is not.
	clean := filepath.Join(dir, "apps/clean/main.go")
	if err := os.WriteFile(clean, []byte("package main\n\nimport \"example.com/vulnlib\"\n\nfunc main() { println(vulnlib.Quote(\"y\")) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "commit", "-q", "-am", "clean only")
	code, out, errs = vulnCent(t, dir, "vuln", "--affected", "--base", "main", "--db", db, "--json")
	if code != 0 {
		t.Fatalf("change in clean only: exit %d, want 0\n%s\n%s", code, out, errs)
	}
	var rep vuln.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Projects) != 1 || rep.Projects[0].Project != "clean" || rep.Projects[0].Packages != 1 {
		t.Errorf("scanned %+v, want clean alone", rep.Projects)
	}

	// Touching calls brings its vulnerability back.
	calls := filepath.Join(dir, "apps/calls/main.go")
	if err := os.WriteFile(calls, []byte("package main\n\nimport \"example.com/vulnlib\"\n\nfunc main() { println(len(vulnlib.Parse(\"y\"))) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = vulnCent(t, dir, "vuln", "--affected", "--base", "main", "--db", db)
	if code != 1 || !strings.Contains(out, "calls: 1 reachable vulnerability") {
		t.Errorf("uncommitted change in calls: exit %d, want 1\n%s", code, out)
	}
}

func TestVulnErrors(t *testing.T) {
	dir, db := vulnWorkspace(t)
	if err := os.WriteFile(filepath.Join(db, "index", "modules.json"), []byte(`[{"path":"example.com/vulnlib",`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"corrupt db", "", []string{"vuln", "--all", "--db", db}, "--db: invalid vulnerability database: " + db + ": index/modules.json: line 1: unexpected end of JSON input"},
		{"corrupt db from the environment", db, []string{"vuln", "--all"}, "CENT_VULNDB: invalid vulnerability database"},
		{"missing db", "", []string{"vuln", "--all", "--db", filepath.Join(dir, "nodb")}, "--db: invalid vulnerability database"},
		{"no selection", "", []string{"vuln"}, "name the projects, or give --all or --affected"},
		{"two selections", "", []string{"vuln", "calls", "--all"}, "exactly one of them"},
		{"unknown project", "", []string{"vuln", "nosuch", "--db", vulntest.DB(t)}, "nosuch"},
		{"unknown flag", "", []string{"vuln", "--al"}, "unknown flag: --al"},
		{"bad parallel", "", []string{"vuln", "--all", "--parallel", "0"}, "--parallel: 0"},
		{"unknown base", "", []string{"vuln", "--affected", "--base", "nosuch", "--db", vulntest.DB(t)}, "nosuch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envVulnDB, c.env)
			code, out, errs := vulnCent(t, dir, c.args...)
			if code != 2 || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q (stdout %q)", code, errs, c.want, out)
			}
		})
	}

	// A project that does not compile is an error, not a clean answer.
	good := vulntest.DB(t)
	if err := os.WriteFile(filepath.Join(dir, "apps/clean/broken.go"), []byte("package main\n\nfunc broken() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := vulnCent(t, dir, "vuln", "clean", "--db", good)
	if code != 2 || !strings.Contains(errs, "project clean") || !strings.Contains(errs, "undefined") {
		t.Errorf("broken package: exit %d, stderr %q, stdout %q; want 2 naming the project and the error", code, errs, out)
	}
}
