package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func open(t *testing.T, cfg postgres.Config, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), cfg, opts...)
	testenv.Must(t, err, "open")
	t.Cleanup(db.Close)
	return db
}

func TestOpenReadyTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := trace.NewTracerProvider(trace.WithSpanProcessor(rec))
	db := open(t, postgres.Config{URL: testenv.Postgres(t), MaxConns: 3, StatementTimeout: 50 * time.Millisecond}, postgres.WithTracerProvider(tp))
	// otelpgx records query spans under a recording parent span only.
	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	testenv.Must(t, db.Ready(ctx), "ready")
	var n int
	testenv.Must(t, db.Pool.QueryRow(ctx, "SELECT $1::int + 1", 41).Scan(&n), "query")
	if n != 42 {
		t.Fatalf("got %d", n)
	}
	parent.End()
	if len(rec.Ended()) < 2 {
		t.Fatalf("query spans not recorded: %d spans", len(rec.Ended()))
	}
	if s := db.Stats(); s.MaxConns != 3 || s.AcquireCount == 0 {
		t.Fatalf("stats = %+v", s)
	}
	_, err := db.Pool.Exec(ctx, "SELECT pg_sleep(5)")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("statement timeout not applied: %v", err)
	}
}

func TestReadyFailsClearly(t *testing.T) {
	_, err := postgres.Open(context.Background(), postgres.Config{URL: "postgres://postgres@127.0.0.1:1/x?connect_timeout=1"})
	if !errors.Is(err, postgres.ErrNotReady) {
		t.Fatalf("err = %v, want ErrNotReady", err)
	}
}

// TestThroughPgBouncer runs concurrent parameterised queries, transactions
// and a migration through a real PgBouncer in transaction mode. With pgx's
// default statement cache this fails with "prepared statement ... already
// exists" or "does not exist" once server connections are shared.
func TestThroughPgBouncer(t *testing.T) {
	through := testenv.PgBouncer(t, testenv.PgBouncerOptions{DefaultPoolSize: 2})
	direct := testenv.Postgres(t)
	cfg := postgres.Config{URL: through(direct), PgBouncer: true, MaxConns: 8}
	ctx := context.Background()
	vs, err := postgres.Migrate(ctx, cfg, fstest.MapFS{
		"00001_items.sql": {Data: []byte("-- +goose Up\nCREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);\n-- +goose Down\nDROP TABLE items;\n")},
	})
	testenv.Must(t, err, "migrate through pgbouncer")
	if len(vs) != 1 {
		t.Fatalf("applied %v", vs)
	}
	db := open(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				id := w*100 + i
				err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO items (id, name) VALUES ($1, $2)", id, "n"); err != nil {
						return err
					}
					var name string
					return tx.QueryRow(ctx, "SELECT name FROM items WHERE id = $1", id).Scan(&name)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	testenv.Must(t, db.Pool.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n), "count")
	if n != 400 {
		t.Fatalf("count = %d", n)
	}
	if _, err := db.ConnectDirect(ctx); !errors.Is(err, postgres.ErrInvalidConfig) {
		t.Fatalf("ConnectDirect without DirectURL: %v", err)
	}
}

func TestMigrateIdempotent(t *testing.T) {
	cfg := postgres.Config{URL: testenv.Postgres(t)}
	fsys := fstest.MapFS{
		"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (id int);\n")},
		"00002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (id int);\n")},
	}
	ctx := context.Background()
	vs, err := postgres.Migrate(ctx, cfg, fsys)
	testenv.Must(t, err, "migrate")
	if len(vs) != 2 {
		t.Fatalf("first run applied %v", vs)
	}
	vs, err = postgres.Migrate(ctx, cfg, fsys)
	testenv.Must(t, err, "migrate again")
	if len(vs) != 0 {
		t.Fatalf("second run applied %v", vs)
	}
	_, err = postgres.Migrate(ctx, cfg, fstest.MapFS{"00003_bad.sql": {Data: []byte("-- +goose Up\nCREATE TABLE (;\n")}})
	if err == nil {
		t.Fatal("broken migration applied")
	}
}

// provision provisions a uniquely named service and drops it at the end.
func provision(t *testing.T, opts ...postgres.ProvisionOption) (service, svcURL string) {
	t.Helper()
	service = strings.ReplaceAll(testenv.Name(t, "svc"), "_", "-")
	ctx := context.Background()
	admin := testenv.PostgresAdminURL()
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Log(err)
			return
		}
		defer c.Close(ctx)
		id, _ := postgres.Identifier(service)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{id}.Sanitize()+" WITH (FORCE)")
		c.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{id}.Sanitize())
	})
	u, err := postgres.Provision(ctx, admin, service, opts...)
	testenv.Must(t, err, "provision %s", service)
	return service, u
}

func TestProvisionIsolation(t *testing.T) {
	ctx := context.Background()
	svcA, urlA := provision(t, postgres.WithStatementTimeout(2*time.Second))
	_, urlB := provision(t, postgres.WithPassword("s3cr'et"))
	// Idempotent: a second run succeeds and returns the same URL.
	again, err := postgres.Provision(ctx, testenv.PostgresAdminURL(), svcA, postgres.WithStatementTimeout(2*time.Second))
	testenv.Must(t, err, "re-provision")
	if again != urlA {
		t.Fatalf("re-provision URL %q != %q", again, urlA)
	}
	if u, _ := url.Parse(urlB); func() bool { p, ok := u.User.Password(); return !ok || p != "s3cr'et" }() {
		t.Fatalf("password missing from %q", urlB)
	}

	a, err := pgx.Connect(ctx, urlA)
	testenv.Must(t, err, "connect as A")
	defer a.Close(ctx)
	_, err = a.Exec(ctx, "CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('a-only')")
	testenv.Must(t, err, "A creates its table")
	var timeout string
	testenv.Must(t, a.QueryRow(ctx, "SHOW statement_timeout").Scan(&timeout), "show")
	if timeout != "2s" {
		t.Fatalf("role statement_timeout = %q", timeout)
	}

	// B's role cannot connect to A's database ...
	ua, _ := url.Parse(urlA)
	ub, _ := url.Parse(urlB)
	bOnA := *ub
	bOnA.Path = ua.Path
	_, err = pgx.Connect(ctx, bOnA.String())
	if !isCode(err, "42501") {
		t.Fatalf("B connecting to A's database: err = %v, want insufficient_privilege", err)
	}
	// ... and even when an admin grants CONNECT by mistake, it cannot read
	// or write A's tables.
	admin, err := pgx.Connect(ctx, testenv.PostgresAdminURL())
	testenv.Must(t, err, "admin")
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "GRANT CONNECT ON DATABASE "+pgx.Identifier{strings.TrimPrefix(ua.Path, "/")}.Sanitize()+" TO "+pgx.Identifier{ub.User.Username()}.Sanitize())
	testenv.Must(t, err, "grant connect")
	b, err := pgx.Connect(ctx, bOnA.String())
	testenv.Must(t, err, "B connects after the grant")
	defer b.Close(ctx)
	var v string
	if err := b.QueryRow(ctx, "SELECT v FROM public.secrets").Scan(&v); !isCode(err, "42501") {
		t.Fatalf("B reading A's table: v=%q err=%v, want insufficient_privilege", v, err)
	}
	if _, err := b.Exec(ctx, "CREATE TABLE public.intruder (v text)"); !isCode(err, "42501") {
		t.Fatalf("B creating a table in A's schema: %v", err)
	}
}

func TestProvisionedServiceThroughPgBouncer(t *testing.T) {
	through := testenv.PgBouncer(t, testenv.PgBouncerOptions{})
	_, u := provision(t)
	db := open(t, postgres.Config{URL: through(u), DirectURL: u, PgBouncer: true})
	ctx := context.Background()
	var user string
	testenv.Must(t, db.Pool.QueryRow(ctx, "SELECT current_user").Scan(&user), "query")
	if !strings.HasPrefix(user, "svc_") {
		t.Fatalf("current_user = %q", user)
	}
	c, err := db.ConnectDirect(ctx)
	testenv.Must(t, err, "direct")
	c.Close(ctx)
}

func TestProvisionBadInput(t *testing.T) {
	ctx := context.Background()
	if _, err := postgres.Provision(ctx, testenv.PostgresAdminURL(), "Bad Name"); !errors.Is(err, postgres.ErrInvalidServiceName) {
		t.Fatalf("err = %v", err)
	}
	if _, err := postgres.Provision(ctx, testenv.PostgresAdminURL(), "ok", postgres.WithConnectionLimit(0)); !errors.Is(err, postgres.ErrInvalidConfig) {
		t.Fatalf("err = %v", err)
	}
}

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// Replicas starting together must not apply a migration twice (without a
// lock the second CREATE TABLE fails and that replica crashes at start).
func TestMigrateConcurrentReplicas(t *testing.T) {
	cfg := postgres.Config{URL: testenv.Postgres(t)}
	fsys := fstest.MapFS{
		"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (id int);\nSELECT pg_sleep(0.2);\n")},
		"00002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (id int);\n")},
	}
	ctx := context.Background()
	const replicas = 4
	var wg sync.WaitGroup
	applied := make(chan []int64, replicas)
	errs := make(chan error, replicas)
	for range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs, err := postgres.Migrate(ctx, cfg, fsys)
			if err != nil {
				errs <- err
				return
			}
			applied <- vs
		}()
	}
	wg.Wait()
	close(errs)
	close(applied)
	for err := range errs {
		t.Fatalf("replica failed: %v", err)
	}
	total := 0
	for vs := range applied {
		total += len(vs)
	}
	if total != 2 {
		t.Fatalf("the replicas applied %d migrations in all, want 2", total)
	}
}
