// Package platformtest sets up the real services the chassis packages are
// tested against: a fresh PostgreSQL database reached directly or through a
// real PgBouncer in transaction mode, and a JetStream stream prefix.
package platformtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Mode says how a test reaches PostgreSQL.
type Mode string

// The two ways every chassis test reaches PostgreSQL.
const (
	Direct    Mode = "direct"
	PgBouncer Mode = "pgbouncer"
)

// Modes lists both modes; tests run once per mode.
var Modes = []Mode{Direct, PgBouncer}

// EnvAllThroughPgBouncer, set to 1, sends every test's pool through
// PgBouncer, including tests written for Direct mode.
const EnvAllThroughPgBouncer = "CENTURIA_TEST_ALL_PGBOUNCER"

// DB opens a pool on a fresh database, reached as mode says, and returns it
// with the database's direct URL (for LISTEN and session work).
func DB(t testing.TB, mode Mode) (db *postgres.DB, directURL string) {
	t.Helper()
	if os.Getenv(EnvAllThroughPgBouncer) == "1" {
		mode = PgBouncer
	}
	directURL = testenv.Postgres(t)
	cfg := postgres.Config{URL: directURL, DirectURL: directURL, MaxConns: 8}
	if mode == PgBouncer {
		through := testenv.PgBouncer(t, testenv.PgBouncerOptions{DefaultPoolSize: 4})
		cfg.URL, cfg.PgBouncer = through(directURL), true
	}
	db, err := postgres.Open(context.Background(), cfg)
	testenv.Must(t, err, "opening %s pool", mode)
	t.Cleanup(db.Close)
	return db, directURL
}

// NATS connects to the machine's NATS server and returns the connection,
// a JetStream context and a name unique to the test (upper case, usable as
// a stream name; lower-cased as a subject prefix). Streams whose names start
// with it are deleted when the test ends.
func NATS(t testing.TB) (*nats.Conn, jetstream.JetStream, string) {
	t.Helper()
	url, prefix := testenv.NATS(t)
	return Connect(t, url, prefix)
}

// Connect connects to the NATS server at url, reconnecting forever, and
// deletes streams starting with prefix when the test ends.
func Connect(t testing.TB, url, prefix string) (*nats.Conn, jetstream.JetStream, string) {
	t.Helper()
	nc, js := testenv.JetStream(t, url, prefix)
	return nc, js, prefix
}

// ReadStream returns every message in stream, in stream order.
func ReadStream(t testing.TB, js jetstream.JetStream, stream string) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	testenv.Must(t, err, "stream %s", stream)
	info, err := s.Info(ctx)
	testenv.Must(t, err, "stream info %s", stream)
	var out []*jetstream.RawStreamMsg
	if info.State.Msgs == 0 {
		return nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("reading %s seq %d: %v", stream, seq, err)
		}
		out = append(out, m)
	}
	return out
}

// Eventually polls cond every 10ms until it returns true or 60s pass.
// It waits for asynchronous work; it asserts nothing about speed.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
