// Package testenv gives integration tests their own slice of the real services
// the platform runs on: a fresh PostgreSQL database, a Redis key prefix and a
// NATS JetStream server.
//
// Hosts come from the environment (CENTURIA_TEST_POSTGRES, CENTURIA_TEST_REDIS,
// CENTURIA_TEST_NATS) and default to the usual loopback ports. A service that is
// not reachable fails the test with a message that says how to start it; it is
// never skipped silently.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Default addresses of the services on a developer machine and in CI.
const (
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultRedisAddr   = "127.0.0.1:6379"
	DefaultNATSURL     = "nats://127.0.0.1:4222"
)

// PostgresAdminURL returns the URL of a superuser connection to the test
// PostgreSQL server.
func PostgresAdminURL() string {
	if v := os.Getenv("CENTURIA_TEST_POSTGRES"); v != "" {
		return v
	}
	return DefaultPostgresURL
}

// RedisAddr returns the host:port of the test Redis server.
func RedisAddr() string {
	if v := os.Getenv("CENTURIA_TEST_REDIS"); v != "" {
		return v
	}
	return DefaultRedisAddr
}

// NATSURL returns the URL of the machine's NATS server with JetStream.
func NATSURL() string {
	if v := os.Getenv("CENTURIA_TEST_NATS"); v != "" {
		return v
	}
	return DefaultNATSURL
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// Name returns a name unique to this test run, safe as a database, schema,
// stream or key prefix: lower-case letters, digits and underscores, at most
// 50 characters, starting with prefix.
func Name(t testing.TB, prefix string) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("testenv: random name: %v", err)
	}
	base := unsafeName.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(base) > 30 {
		base = base[len(base)-30:]
	}
	return strings.Trim(prefix+"_"+base, "_") + "_" + hex.EncodeToString(b[:])
}

// Require fails the test when addr (host:port) does not accept a TCP
// connection, naming the service and how to start it.
func Require(t testing.TB, service, addr, howToStart string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("testenv: %s is not reachable at %s (%v); start it with: %s", service, addr, err, howToStart)
	}
	c.Close()
}

// PostgresStart is the command that starts the machine's PostgreSQL.
const PostgresStart = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

// RedisStart is the command that starts the machine's Redis.
const RedisStart = `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`

// NATSStart is the command that starts the machine's NATS server.
const NATSStart = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server"

// Postgres creates a fresh database for the test and returns a superuser URL
// to it. The database is dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := PostgresAdminURL()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("testenv: CENTURIA_TEST_POSTGRES: %v", err)
	}
	Require(t, "PostgreSQL", u.Host, PostgresStart)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testenv: connecting to PostgreSQL at %s: %v", u.Host, err)
	}
	defer conn.Close(ctx)
	name := Name(t, "t")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("testenv: dropping database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("testenv: dropping database %s: %v", name, err)
		}
	})
	du := *u
	du.Path = "/" + name
	return du.String()
}

// Redis checks that the test Redis is reachable and returns its address and a
// key prefix unique to the test. Tests must put every key under the prefix.
func Redis(t testing.TB) (addr, prefix string) {
	t.Helper()
	addr = RedisAddr()
	Require(t, "Redis", addr, RedisStart)
	return addr, Name(t, "t") + ":"
}

// NATS checks that the machine's NATS server is reachable and returns its URL
// and a stream-name prefix unique to the test (upper case, as stream names
// are by convention).
func NATS(t testing.TB) (natsURL, streamPrefix string) {
	t.Helper()
	natsURL = NATSURL()
	u, err := url.Parse(natsURL)
	if err != nil {
		t.Fatalf("testenv: CENTURIA_TEST_NATS: %v", err)
	}
	Require(t, "NATS", u.Host, NATSStart)
	return natsURL, strings.ToUpper(Name(t, "T"))
}

// Must fails the test on a non-nil error, with a context message.
func Must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
