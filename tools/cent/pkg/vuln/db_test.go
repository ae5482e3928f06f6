package vuln_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/centuria/centuria/tools/cent/pkg/vuln"
	"github.com/centuria/centuria/tools/cent/pkg/vuln/vulntest"
)

func TestCheckDirAcceptsTheFixture(t *testing.T) {
	if err := vuln.CheckDir(vulntest.DB(t)); err != nil {
		t.Fatal(err)
	}
}

func TestCheckDirRejectsDamage(t *testing.T) {
	cases := []struct {
		name   string
		damage func(dir string) error
		want   string
	}{
		{"no modules index", func(d string) error { return os.Remove(filepath.Join(d, "index/modules.json")) },
			"index/modules.json is missing"},
		{"no db index", func(d string) error { return os.Remove(filepath.Join(d, "index/db.json")) },
			"index/db.json is missing"},
		{"truncated modules index", func(d string) error {
			return os.WriteFile(filepath.Join(d, "index/modules.json"), []byte("[\n{\"path\":\"example.com/vulnlib\",\n\"vulns\":[{\"id\""), 0o644)
		}, "index/modules.json: line 3: unexpected end of JSON input"},
		{"syntax error on line 2", func(d string) error {
			return os.WriteFile(filepath.Join(d, "index/modules.json"), []byte("[\n{\"path\": nope}]"), 0o644)
		}, "index/modules.json: line 2: invalid character"},
		{"db index without time", func(d string) error {
			return os.WriteFile(filepath.Join(d, "index/db.json"), []byte("{}"), 0o644)
		}, `index/db.json: no "modified" time`},
		{"entry missing", func(d string) error { return os.Remove(filepath.Join(d, "ID", vulntest.VulnID+".json")) },
			"ID/" + vulntest.VulnID + ".json is missing"},
		{"entry with another id", func(d string) error {
			return os.WriteFile(filepath.Join(d, "ID", vulntest.VulnID+".json"), []byte(`{"id":"GO-2000-0001"}`), 0o644)
		}, `id is "GO-2000-0001"`},
		{"entry not naming the module", func(d string) error {
			return os.WriteFile(filepath.Join(d, "ID", vulntest.VulnID+".json"),
				[]byte(`{"id":"`+vulntest.VulnID+`","affected":[{"package":{"name":"example.com/other"}}]}`), 0o644)
		}, "does not list module example.com/vulnlib"},
		{"id that is a path", func(d string) error {
			return os.WriteFile(filepath.Join(d, "index/modules.json"),
				[]byte(`[{"path":"example.com/vulnlib","vulns":[{"id":"../../etc/passwd"}]}]`), 0o644)
		}, `invalid id "../../etc/passwd"`},
		{"module without path", func(d string) error {
			return os.WriteFile(filepath.Join(d, "index/modules.json"), []byte(`[{"vulns":[]}]`), 0o644)
		}, `module 1 has no "path"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := vulntest.DB(t)
			if err := c.damage(dir); err != nil {
				t.Fatal(err)
			}
			err := vuln.CheckDir(dir)
			if !errors.Is(err, vuln.ErrInvalidDB) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("got %v, want ErrInvalidDB naming %s and %q", err, dir, c.want)
			}
		})
	}
	if err := vuln.CheckDir(filepath.Join(t.TempDir(), "nowhere")); !errors.Is(err, vuln.ErrInvalidDB) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
	file := filepath.Join(t.TempDir(), "db.json")
	os.WriteFile(file, []byte("{}"), 0o644)
	if err := vuln.CheckDir(file); !errors.Is(err, vuln.ErrInvalidDB) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a file: %v", err)
	}
}

func TestSource(t *testing.T) {
	db := vulntest.DB(t)
	got, err := vuln.Source(db)
	if err != nil || got != "file://"+filepath.ToSlash(db) {
		t.Errorf("Source(dir) = %q, %v", got, err)
	}
	if got, err := vuln.Source("file://" + filepath.ToSlash(db)); err != nil || got != "file://"+filepath.ToSlash(db) {
		t.Errorf("Source(file URL) = %q, %v", got, err)
	}
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, db)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := vuln.Source(rel); err != nil || got != "file://"+filepath.ToSlash(db) {
		t.Errorf("Source(relative dir) = %q, %v", got, err)
	}
	for in, want := range map[string]string{"": vuln.DefaultDB, "https://vuln.example.com/": "https://vuln.example.com",
		"http://127.0.0.1:8080/db": "http://127.0.0.1:8080/db"} {
		if got, err := vuln.Source(in); err != nil || got != want {
			t.Errorf("Source(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ftp://host/db", "https://", "file://otherhost/db", filepath.Join(db, "index")} {
		if _, err := vuln.Source(bad); !errors.Is(err, vuln.ErrInvalidDB) {
			t.Errorf("Source(%q): %v, want ErrInvalidDB", bad, err)
		}
	}
}
