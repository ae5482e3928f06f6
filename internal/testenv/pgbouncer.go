package testenv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PgBouncerOptions tunes the PgBouncer that PgBouncer starts. The zero value
// is a transaction-mode pooler allowing 20 server connections per
// database/user pair and 50 per database.
type PgBouncerOptions struct {
	// DefaultPoolSize is default_pool_size (default 20).
	DefaultPoolSize int
	// MaxDBConnections is max_db_connections (default 50).
	MaxDBConnections int
	// MaxClientConn is max_client_conn (default 2000).
	MaxClientConn int
}

// PgBouncer starts a real PgBouncer (the pgbouncer binary from the Debian
// package of the same name) on a free loopback port in transaction pooling
// mode in front of the test PostgreSQL server, and returns a function that
// rewrites a PostgreSQL URL (such as one from Postgres) to go through it.
// Any role that can log in to PostgreSQL can log in through PgBouncer: it
// looks passwords up with auth_query as the admin user. PgBouncer is stopped
// when the test ends.
func PgBouncer(t testing.TB, opts PgBouncerOptions) (through func(pgURL string) string) {
	t.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/pgbouncer"); statErr == nil {
			bin = "/usr/sbin/pgbouncer"
		} else {
			t.Fatalf("testenv: pgbouncer is not installed (%v); install it with: apt-get install -y pgbouncer", err)
		}
	}
	admin, err := url.Parse(PostgresAdminURL())
	if err != nil {
		t.Fatalf("testenv: CENTURIA_TEST_POSTGRES: %v", err)
	}
	Require(t, "PostgreSQL", admin.Host, PostgresStart)
	if opts.DefaultPoolSize == 0 {
		opts.DefaultPoolSize = 20
	}
	if opts.MaxDBConnections == 0 {
		opts.MaxDBConnections = 50
	}
	if opts.MaxClientConn == 0 {
		opts.MaxClientConn = 2000
	}
	// PgBouncer refuses to run as root; it then switches to the postgres
	// user, which must be able to read its directory.
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		t.Fatalf("testenv: pgbouncer dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testenv: pgbouncer dir: %v", err)
	}
	port := freePort(t)
	adminUser := admin.User.Username()
	if adminUser == "" {
		adminUser = "postgres"
	}
	adminPass, _ := admin.User.Password()
	host, pgPort, err := net.SplitHostPort(admin.Host)
	if err != nil {
		host, pgPort = admin.Host, "5432"
	}
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
auth_user = %s
auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename=$1
pool_mode = transaction
max_client_conn = %d
default_pool_size = %d
max_db_connections = %d
server_reset_query =
logfile = %s
pidfile = %s
`, host, pgPort, port, filepath.Join(dir, "users.txt"), adminUser,
		opts.MaxClientConn, opts.DefaultPoolSize, opts.MaxDBConnections,
		filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	users := fmt.Sprintf("%q %q\n", adminUser, adminPass)
	for name, body := range map[string]string{"pgbouncer.ini": ini, "users.txt": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatalf("testenv: writing %s: %v", name, err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Fatalf("testenv: pgbouncer cannot run as root and there is no postgres user: %v", err)
		}
		if err := chownTree(dir, "postgres"); err != nil {
			t.Fatalf("testenv: pgbouncer dir: %v", err)
		}
		args = append([]string{"-u", "postgres"}, args...)
	}
	cmd := exec.Command(bin, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: starting pgbouncer: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	through = func(pgURL string) string {
		u, err := url.Parse(pgURL)
		if err != nil {
			t.Fatalf("testenv: pgbouncer: parsing %q: %v", pgURL, err)
		}
		u.Host = addr
		return u.String()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		cfg, err := pgx.ParseConfig(through(PostgresAdminURL()))
		if err != nil {
			cancel()
			t.Fatalf("testenv: pgbouncer: %v", err)
		}
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			_, err = c.Exec(ctx, "SELECT 1")
			c.Close(ctx)
		}
		cancel()
		if err == nil {
			return through
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("testenv: pgbouncer exited: %s\n%s", out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("testenv: pgbouncer not ready on %s: %v\n%s%s", addr, err, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func chownTree(dir, userName string) error {
	u, err := user.Lookup(userName)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}
