package vuln_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/vuln"
	"github.com/centuria/centuria/tools/cent/pkg/vuln/vulntest"
)

// world is a workspace using the fixture module in three ways, with the
// fixture database and an offline go environment.
type world struct {
	dir, db string
	env     []string
}

func newWorld(t *testing.T) world {
	t.Helper()
	p := vulntest.NewProxy(t)
	dir := p.Workspace(t, "example.com/ws", map[string]string{
		"apps/calls/main.go": `package main

import (
	"os"

	"example.com/vulnlib"
)

func main() { os.Exit(len(vulnlib.Parse("x"))) }
`,
		"apps/method/main.go": `package main

import "example.com/ws/libs/wrap"

func main() { wrap.Decode("x") }
`,
		"libs/wrap/wrap.go": `// Package wrap reaches the vulnerable method.
package wrap

import "example.com/vulnlib"

// Decode decodes s.
func Decode(s string) int { return len(vulnlib.Decoder{}.Decode(s)) }
`,
		"apps/clean/main.go": `package main

import "example.com/vulnlib"

func main() { println(vulnlib.Quote("x")) }
`,
	})
	db, err := vuln.Source(vulntest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	return world{dir: dir, db: db, env: append(os.Environ(), p.Env(t)...)}
}

func (w world) options() vuln.Options {
	return vuln.Options{Dir: w.dir, DB: w.db, Env: w.env, Parallel: 2,
		ModuleDirs: map[string]string{"example.com/ws": "."}}
}

func TestScanReportsOnlyCalledSymbols(t *testing.T) {
	w := newWorld(t)
	rep, err := vuln.Scan(context.Background(), w.options(), []vuln.Target{
		{Project: "calls", Packages: []string{"example.com/ws/apps/calls"}},
		{Project: "clean", Packages: []string{"example.com/ws/apps/clean"}},
		{Project: "method", Packages: []string{"example.com/ws/apps/method"}},
		{Project: "empty"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Projects) != 4 {
		t.Fatalf("got %d project results, want 4", len(rep.Projects))
	}
	if rep.DBModified == nil || !rep.DBModified.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("DBModified = %v, want the fixture's 2026-11-01", rep.DBModified)
	}
	if !strings.HasPrefix(rep.GoVersion, "go1.") {
		t.Errorf("GoVersion = %q", rep.GoVersion)
	}

	calls := rep.Projects[0]
	if calls.Project != "calls" || len(calls.Vulns) != 1 {
		t.Fatalf("calls: %+v, want one vulnerability", calls)
	}
	v := calls.Vulns[0]
	if v.ID != vulntest.VulnID || v.Module != vulntest.ModulePath || v.Version != vulntest.ModuleVersion || v.FixedVersion != "v1.0.1" {
		t.Errorf("calls: vuln %+v", v)
	}
	if v.Summary != "Unbounded allocation in example.com/vulnlib" || v.URL != "https://example.com/vuln/GO-2026-9001" ||
		len(v.Aliases) != 1 || v.Aliases[0] != "CVE-2026-99001" {
		t.Errorf("calls: OSV details not carried over: %+v", v)
	}
	if len(v.Calls) != 1 || v.Calls[0].Symbol != "example.com/vulnlib.Parse" {
		t.Fatalf("calls: calls %+v, want example.com/vulnlib.Parse", v.Calls)
	}
	tr := v.Calls[0].Trace
	if len(tr) != 2 || tr[0].Package != "example.com/ws/apps/calls" || tr[0].Function != "main" ||
		tr[0].Position != "apps/calls/main.go:9:40" || tr[1].Name() != "vulnlib.Parse" {
		t.Errorf("calls: trace %+v, want main (apps/calls/main.go:9:40) -> vulnlib.Parse", tr)
	}

	if clean := rep.Projects[1]; len(clean.Vulns) != 0 {
		t.Errorf("clean imports the module but calls only Quote; got %+v", clean.Vulns)
	}

	method := rep.Projects[2]
	if len(method.Vulns) != 1 || len(method.Vulns[0].Calls) != 1 {
		t.Fatalf("method: %+v, want one call", method)
	}
	mc := method.Vulns[0].Calls[0]
	if mc.Symbol != "example.com/vulnlib.Decoder.Decode" {
		t.Errorf("method: symbol %q, want example.com/vulnlib.Decoder.Decode", mc.Symbol)
	}
	var names []string
	for _, f := range mc.Trace {
		names = append(names, f.Name())
	}
	if got := strings.Join(names, " -> "); got != "method.main -> wrap.Decode -> vulnlib.Decoder.Decode" {
		t.Errorf("method: trace %s", got)
	}
	if tr[1].Position != "example.com/vulnlib@v1.0.0/vulnlib.go:7:6" {
		t.Errorf("calls: the vulnerable function is at %q, want its place in the module cache", tr[1].Position)
	}
	if mc.Trace[1].Position != "libs/wrap/wrap.go:7:64" {
		t.Errorf("method: wrap.Decode's call at %q, want libs/wrap/wrap.go:7:64", mc.Trace[1].Position)
	}

	if e := rep.Projects[3]; e.Project != "empty" || len(e.Vulns) != 0 {
		t.Errorf("a target without packages: %+v", e)
	}
	if got := rep.Vulnerable(); len(got) != 2 || got[0].Project != "calls" || got[1].Project != "method" {
		t.Errorf("Vulnerable() = %+v", got)
	}
}

func TestScanLibraryEntryPoints(t *testing.T) {
	// A library's exported functions are entry points: wrap reaches the
	// vulnerable method without any main package.
	w := newWorld(t)
	rep, err := vuln.Scan(context.Background(), w.options(), []vuln.Target{
		{Project: "wrap", Packages: []string{"example.com/ws/libs/wrap"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Vulnerable(); len(got) != 1 || got[0].Vulns[0].Calls[0].Trace[0].Name() != "wrap.Decode" {
		t.Errorf("wrap: %+v, want a trace from wrap.Decode", rep.Projects)
	}
}

func TestScanErrors(t *testing.T) {
	w := newWorld(t)
	if err := os.WriteFile(w.dir+"/apps/clean/broken.go", []byte("package main\n\nfunc broken() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := vuln.Scan(context.Background(), w.options(), []vuln.Target{
		{Project: "calls", Packages: []string{"example.com/ws/apps/calls"}},
		{Project: "clean", Packages: []string{"example.com/ws/apps/clean"}},
	})
	if !errors.Is(err, vuln.ErrScan) || !strings.Contains(err.Error(), "project clean") || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("a package that does not compile: got %v, want ErrScan naming project clean and the compiler's complaint", err)
	}

	o := w.options()
	o.Dir = ""
	if _, err := vuln.Scan(context.Background(), o, nil); !errors.Is(err, vuln.ErrInvalidOption) {
		t.Errorf("no Dir: %v, want ErrInvalidOption", err)
	}
	o = w.options()
	o.Tags = []string{"a,b"}
	if _, err := vuln.Scan(context.Background(), o, nil); !errors.Is(err, vuln.ErrInvalidOption) {
		t.Errorf("tag with a comma: %v, want ErrInvalidOption", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := vuln.Scan(ctx, w.options(), []vuln.Target{{Project: "calls", Packages: []string{"example.com/ws/apps/calls"}}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestFrameName(t *testing.T) {
	for f, want := range map[vuln.Frame]string{
		{Package: "github.com/redis/go-redis/v9", Function: "NewClient"}: "go-redis/v9.NewClient",
		{Package: "example.com/ws/apps/calls", Function: "main"}:         "calls.main",
		{Package: "v2", Function: "F"}:                                   "v2.F",
		{Package: "example.com/vulnlib", Function: "Decoder.Decode"}:     "vulnlib.Decoder.Decode",
	} {
		if got := f.Name(); got != want {
			t.Errorf("%+v.Name() = %q, want %q", f, got, want)
		}
	}
}
