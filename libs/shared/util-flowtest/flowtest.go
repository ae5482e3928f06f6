// Package flowtest sets up the real services the reference services'
// libraries are tested against: a fresh PostgreSQL database with a
// service's migrations, the outbox and the inbox; the order flow's streams
// under a prefix unique to the test; a running outbox relay and subscriber;
// and a reader of the events that reached a stream.
package flowtest

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/centuria/centuria/libs/platform/postgres"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// EnvAllThroughPgBouncer, set to 1, sends every pool DB opens through a
// real PgBouncer in transaction mode (migrations still use the direct URL).
const EnvAllThroughPgBouncer = "CENTURIA_TEST_ALL_PGBOUNCER"

// DB creates a fresh database, applies migrations (nil: none), the outbox
// schema and the inbox, and returns an open pool and the database's direct
// URL.
func DB(t testing.TB, migrations fs.FS) (*postgres.DB, string) {
	t.Helper()
	ctx := context.Background()
	url := testenv.Postgres(t)
	cfg := postgres.Config{URL: url, DirectURL: url, MaxConns: 8}
	if migrations != nil {
		_, err := postgres.Migrate(ctx, cfg, migrations)
		testenv.Must(t, err, "migrating")
	}
	if os.Getenv(EnvAllThroughPgBouncer) == "1" {
		through := testenv.PgBouncer(t, testenv.PgBouncerOptions{DefaultPoolSize: 4})
		cfg.URL, cfg.PgBouncer = through(url), true
	}
	db, err := postgres.Open(ctx, cfg)
	testenv.Must(t, err, "opening pool")
	t.Cleanup(db.Close)
	testenv.Must(t, outbox.EnsureSchema(ctx, db.Pool), "outbox schema")
	testenv.Must(t, events.EnsureInbox(ctx, db.Pool), "inbox")
	return db, url
}

// Flow is the order flow's streams on the machine's NATS server, namespaced
// for one test.
type Flow struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	Topology orderflow.Topology
}

// NATS connects to NATS, ensures the flow's streams under a prefix unique to
// the test and deletes them when the test ends.
func NATS(t testing.TB) Flow {
	t.Helper()
	url, name := testenv.NATS(t)
	prefix := strings.ToLower(name)
	tp, err := orderflow.NewTopology(prefix)
	testenv.Must(t, err, "topology")
	nc, js := testenv.JetStream(t, url, tp.Stream(""))
	ctx := context.Background()
	for _, s := range tp.Streams() {
		_, err := events.EnsureStream(ctx, js, s)
		testenv.Must(t, err, "stream %s", s.Name)
	}
	return Flow{NC: nc, JS: js, Topology: tp}
}

// Relay runs an outbox relay of db publishing under the flow's subjects
// until the test ends.
func (f Flow) Relay(t testing.TB, db *postgres.DB, source string) {
	t.Helper()
	r, err := outbox.NewRelay(db.Pool, f.NC, outbox.RelayConfig{
		Source: source, SubjectPrefix: f.Topology.SubjectPrefix(),
		PollInterval: 20 * time.Millisecond, NoLease: true,
	})
	testenv.Must(t, err, "relay")
	Background(t, r.Run)
}

// Subscriber returns a subscriber for sub with quick retries and its
// handlers registered; run it with Background.
func (f Flow) Subscriber(t testing.TB, db *postgres.DB, sub orderflow.Subscription) *events.Subscriber {
	t.Helper()
	s, err := events.NewSubscriber(f.JS, db.Pool, events.SubscriberConfig{
		ConsumerSpec: f.Topology.Consumer(sub.Stream, sub.Durable, sub.Types...),
		MaxDeliver:   3, RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
	})
	testenv.Must(t, err, "subscriber %s", sub.Durable)
	testenv.Must(t, sub.Register(s), "registering the handlers of %s", sub.Durable)
	return s
}

// Background runs fn until the test ends, then cancels it and waits; an
// error from fn fails the test.
func Background(t testing.TB, fn func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("background: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// Message is one event read from a stream.
type Message struct {
	Envelope events.Envelope
	Subject  string
	Data     json.RawMessage
}

// Decode unmarshals the payload into v, failing the test on error.
func (m Message) Decode(t testing.TB, v any) {
	t.Helper()
	testenv.Must(t, json.Unmarshal(m.Data, v), "decoding %s", m.Envelope.Type)
}

// Publish publishes payload as an event of eventType about aggregate/id on
// the flow, with the given event id (a fresh one when empty), as a producer
// service would.
func (f Flow) Publish(t testing.TB, aggregate, id, eventType, eventID string, payload any) {
	t.Helper()
	b, ok := payload.([]byte)
	if !ok {
		var err error
		b, err = json.Marshal(payload)
		testenv.Must(t, err, "encoding payload")
	}
	if eventID == "" {
		eventID = testenv.Name(t, "ev")
	}
	m := nats.NewMsg(f.Topology.Subject(aggregate, eventType))
	events.Envelope{ID: eventID, Type: eventType, Source: "/test", Subject: id, Time: time.Now()}.Write(m.Header)
	// Nats-Msg-Id would drop a deliberate redelivery of the same event id;
	// tests use it to simulate a relay republishing after the window.
	m.Header.Del(nats.MsgIdHdr)
	m.Data = b
	_, err := f.JS.PublishMsg(context.Background(), m)
	testenv.Must(t, err, "publishing %s", eventType)
}

// Wait reads stream from the start until it holds want events of
// eventType (every type when empty), failing the test after timeout. It
// returns the matching events in stream order.
func (f Flow) Wait(t testing.TB, stream, eventType string, want int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got []Message
	for {
		got = f.Read(t, stream, eventType)
		if len(got) >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got) != want {
		t.Fatalf("stream %s: %d %q events after %v, want %d", stream, len(got), eventType, timeout, want)
	}
	return got
}

// Read returns every event of eventType (every type when empty) stream
// holds now.
func (f Flow) Read(t testing.TB, stream, eventType string) []Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	name := f.Topology.Stream(stream)
	s, err := f.JS.Stream(ctx, name)
	testenv.Must(t, err, "stream %s", name)
	info, err := s.Info(ctx)
	testenv.Must(t, err, "stream info %s", name)
	var out []Message
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue // deleted
		}
		env, err := events.ParseEnvelope(raw.Header)
		if err != nil {
			continue
		}
		if eventType == "" || env.Type == eventType {
			out = append(out, Message{Envelope: env, Subject: raw.Subject, Data: raw.Data})
		}
	}
	return out
}

// Eventually polls cond every 20ms until it holds, failing the test with
// what after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// DeadLetters returns how many messages the dead-letter stream of stream
// holds (0 when it does not exist yet).
func (f Flow) DeadLetters(t testing.TB, stream string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := f.JS.Stream(ctx, f.Topology.Stream(stream)+"_DLQ")
	if err != nil {
		return 0
	}
	info, err := s.Info(ctx)
	testenv.Must(t, err, "dead-letter stream info")
	return int(info.State.Msgs)
}
