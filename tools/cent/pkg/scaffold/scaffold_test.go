package scaffold

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNewAppFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ws := Workspace{Root: root, Module: "example.com/ws", Projects: map[string]string{"gateway": "apps/gateway"}}
	if _, err := NewApp(ws, AppOptions{Name: "billing"}); !errors.Is(err, ErrNoRuntime) || !strings.Contains(err.Error(), RuntimeDir) {
		t.Fatalf("no runtime: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(root, RuntimeDir), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := NewApp(ws, AppOptions{Name: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"apps/billing/README.md", "apps/billing/deploy/values.yaml", "apps/billing/main.go", "apps/billing/main_test.go", "apps/billing/migrations/00001_init.sql", "apps/billing/project.yaml"}
	if !slices.Equal(res.Files, want) || res.Project != "billing" || res.Dir != "apps/billing" {
		t.Fatalf("result %+v", res)
	}
	read := func(p string) string {
		data, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if got := read("apps/billing/project.yaml"); !strings.HasSuffix(got, "\ntags: []\n") {
		t.Errorf("project.yaml without a scope:\n%s", got)
	}
	if got := read("apps/billing/main.go"); !strings.Contains(got, `"example.com/ws/libs/platform/service"`) || !strings.Contains(got, `Name: "billing"`) {
		t.Errorf("main.go:\n%s", got)
	}
	if got := read("apps/billing/deploy/values.yaml"); !strings.Contains(got, "repository: "+DefaultImageRegistry+"/billing\n") {
		t.Errorf("values.yaml:\n%s", got)
	}

	res, err = NewApp(ws, AppOptions{Name: "ledger", Scope: "billing", ImageRepository: "ghcr.example/acme/ledger"})
	if err != nil {
		t.Fatal(err)
	}
	if got := read("apps/ledger/project.yaml"); !strings.HasSuffix(got, "\ntags: [scope:billing]\n") {
		t.Errorf("project.yaml with a scope:\n%s", got)
	}
	if got := read("apps/ledger/deploy/values.yaml"); !strings.Contains(got, "repository: ghcr.example/acme/ledger\n") {
		t.Errorf("values.yaml:\n%s", got)
	}

	if _, err := NewApp(ws, AppOptions{Name: "gateway"}); !errors.Is(err, ErrExists) {
		t.Errorf("taken project name: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "apps/gateway")); !os.IsNotExist(err) {
		t.Errorf("apps/gateway was written for a taken name (%v)", err)
	}
	if _, err := NewApp(ws, AppOptions{Name: "billing"}); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "apps/billing") {
		t.Errorf("existing directory: %v", err)
	}
	if _, err := NewApp(Workspace{Root: root}, AppOptions{Name: "x"}); err == nil {
		t.Error("no module: no error")
	}
}

func TestNewLibFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ws := Workspace{Root: root, Module: "example.com/ws"}
	for _, typ := range LibTypes {
		res, err := NewLib(ws, LibOptions{Name: "tax-rates", Scope: "billing", Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		dir := "libs/billing/" + typ + "-tax-rates"
		if res.Dir != dir || res.Project != "billing-"+typ+"-tax-rates" || !slices.Equal(res.Files, []string{dir + "/taxrates.go", dir + "/taxrates_test.go"}) {
			t.Errorf("result %+v", res)
		}
		src, err := os.ReadFile(filepath.Join(root, dir, "taxrates.go"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), "\npackage taxrates\n") || !strings.Contains(string(src), "\n// "+typeDocs[typ]+"\n") {
			t.Errorf("%s:\n%s", dir, src)
		}
	}
	for _, c := range []struct {
		o    LibOptions
		want string
	}{
		{LibOptions{Name: "x", Scope: "s"}, "library type is empty"},
		{LibOptions{Name: "x", Scope: "s", Type: "model"}, `library type "model"`},
		{LibOptions{Name: "x", Type: "util"}, "the scope is empty"},
		{LibOptions{Scope: "s", Type: "util"}, "the library name is empty"},
		{LibOptions{Name: "ma-in", Scope: "s", Type: "util"}, `package name "main" is reserved`},
		{LibOptions{Name: "feature-x", Scope: "s", Type: "feature"}, "leave the type prefix out"},
	} {
		if _, err := NewLib(ws, c.o); !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}
