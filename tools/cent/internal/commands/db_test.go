package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/centuria/centuria/internal/testenv"
)

// TestDBProvision provisions a project's database and role on the real
// PostgreSQL, migrates it, and runs again to show it is idempotent.
func TestDBProvision(t *testing.T) {
	admin := testenv.PostgresAdminURL()
	testenv.Postgres(t) // fails clearly when PostgreSQL is not reachable
	name := strings.ReplaceAll(testenv.Name(t, "svc"), "_", "-")
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":                    "module example.com/db\n\ngo 1.22\n",
		"apps/" + name + "/main.go": "package main\n\nfunc main() {}\n",
		"apps/" + name + "/migrations/001_widgets.sql": "-- +goose Up\nCREATE TABLE widgets (id int PRIMARY KEY);\n-- +goose Down\nDROP TABLE widgets;\n",
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ident := strings.ReplaceAll(name, "-", "_")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{ident}.Sanitize()+" WITH (FORCE)")
		c.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{ident}.Sanitize())
	})
	for i := 0; i < 2; i++ {
		var out, errb bytes.Buffer
		code := Execute(context.Background(), []string{"-C", dir, "db", "provision", name, "--migrate", "--admin-url", admin}, &out, &errb)
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, errb.String())
		}
		svcURL := strings.TrimSpace(out.String())
		ctx := context.Background()
		c, err := pgx.Connect(ctx, svcURL)
		if err != nil {
			t.Fatalf("connecting as the service (%s): %v", svcURL, err)
		}
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM widgets").Scan(&n); err != nil {
			t.Fatalf("run %d: migrated table: %v", i, err)
		}
		var user string
		c.QueryRow(ctx, "SELECT current_user").Scan(&user)
		c.Close(ctx)
		if user != ident {
			t.Fatalf("connected as %q, want the service role %q", user, ident)
		}
	}
	var errb bytes.Buffer
	if code := Execute(context.Background(), []string{"-C", dir, "db", "provision", "nope"}, &bytes.Buffer{}, &errb); code == 0 || !strings.Contains(errb.String(), `unknown project "nope"`) {
		t.Fatalf("unknown project: exit %d, %s", code, errb.String())
	}
}
