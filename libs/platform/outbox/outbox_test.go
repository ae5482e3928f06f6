package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

type env struct {
	db     *postgres.DB
	direct string
	nc     *nats.Conn
	js     jetstream.JetStream
	stream string
	prefix string
}

func setup(t *testing.T, mode platformtest.Mode) env {
	t.Helper()
	db, direct := platformtest.DB(t, mode)
	testenv.Must(t, EnsureSchema(context.Background(), db.Pool), "schema")
	nc, js, name := platformtest.NATS(t)
	return newEnv(t, db, direct, nc, js, name, events.StreamSpec{})
}

func newEnv(t *testing.T, db *postgres.DB, direct string, nc *nats.Conn, js jetstream.JetStream, name string, spec events.StreamSpec) env {
	t.Helper()
	prefix := strings.ToLower(name)
	spec.Name, spec.Subjects = name, []string{prefix + ".>"}
	_, err := events.EnsureStream(context.Background(), js, spec)
	testenv.Must(t, err, "stream")
	return env{db: db, direct: direct, nc: nc, js: js, stream: name, prefix: prefix}
}

func (e env) relay(t *testing.T, cfg RelayConfig) *Relay {
	t.Helper()
	cfg.Source = "/test"
	cfg.SubjectPrefix = e.prefix
	if cfg.PublishTimeout == 0 {
		cfg.PublishTimeout = 2 * time.Second
	}
	r, err := NewRelay(e.db.Pool, e.nc, cfg)
	testenv.Must(t, err, "relay")
	return r
}

func (e env) outboxCount(t *testing.T) int {
	t.Helper()
	var n int
	testenv.Must(t, e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM outbox_events").Scan(&n), "count")
	return n
}

// commit runs fn in a transaction of the pool and commits it.
func (e env) commit(t *testing.T, fn func(tx pgx.Tx) error) {
	t.Helper()
	testenv.Must(t, pgx.BeginFunc(context.Background(), e.db.Pool, fn), "transaction")
}

func ev(t *testing.T, agg, id, typ string, v any) Event {
	t.Helper()
	e, err := NewJSON(agg, id, typ, v)
	testenv.Must(t, err, "event")
	return e
}

func TestAddRejectsBadEvents(t *testing.T) {
	e := setup(t, platformtest.Direct)
	w, err := NewWriter(WithMaxEventSize(2048))
	testenv.Must(t, err, "writer")
	good := func() Event {
		return Event{AggregateType: "order", AggregateID: "1", Type: "order.created", Payload: []byte(`{}`)}
	}
	cases := map[string]func(*Event){
		"AggregateType": func(e *Event) { e.AggregateType = "or.der" },
		"AggregateID":   func(e *Event) { e.AggregateID = "a\nb" },
		"Type":          func(e *Event) { e.Type = "order created" },
		"Payload":       func(e *Event) { e.Payload = []byte(`{"broken":`) },
		"Headers":       func(e *Event) { e.Headers = map[string]string{"ce-id": "x"} },
		"too large":     func(e *Event) { e.Payload = []byte(`"` + strings.Repeat("x", 4096) + `"`) },
	}
	for name, mutate := range cases {
		bad := good()
		mutate(&bad)
		err := pgx.BeginFunc(context.Background(), e.db.Pool, func(tx pgx.Tx) error {
			return w.Add(context.Background(), tx, good(), bad)
		})
		if !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), "event 1") {
			t.Errorf("%s: err = %v, want ErrInvalidEvent naming event 1", name, err)
		}
		if name == "too large" && !errors.Is(err, ErrEventTooLarge) {
			t.Errorf("too large: err = %v, want ErrEventTooLarge", err)
		}
	}
	if n := e.outboxCount(t); n != 0 {
		t.Fatalf("%d rows written by rejected calls", n)
	}
	if _, err := NewWriter(WithMaxEventSize(10)); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("NewWriter err = %v", err)
	}
	if _, err := NewRelay(e.db.Pool, e.nc, RelayConfig{}); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "Source") {
		t.Fatalf("NewRelay err = %v", err)
	}
}

func TestRelayCommittedEventsWithEnvelopeAndTrace(t *testing.T) {
	for _, mode := range platformtest.Modes {
		t.Run(string(mode), func(t *testing.T) {
			e := setup(t, mode)
			rec := tracetest.NewSpanRecorder()
			tp := trace.NewTracerProvider(trace.WithSpanProcessor(rec))
			ctx, producer := tp.Tracer("test").Start(context.Background(), "place order")
			e.commit(t, func(tx pgx.Tx) error {
				return Add(ctx, tx,
					ev(t, "order", "o-1", "order.created", map[string]int{"n": 1}),
					ev(t, "order", "o-2", "order.created", map[string]int{"n": 1}),
					ev(t, "order", "o-1", "order.paid", map[string]int{"n": 2}))
			})
			producer.End()
			err := pgx.BeginFunc(ctx, e.db.Pool, func(tx pgx.Tx) error {
				if err := Add(ctx, tx, ev(t, "order", "o-3", "order.created", nil)); err != nil {
					return err
				}
				return errors.New("roll back")
			})
			if err == nil {
				t.Fatal("rollback expected")
			}
			r := e.relay(t, RelayConfig{TracerProvider: tp})
			n, err := r.RelayOnce(context.Background())
			testenv.Must(t, err, "relay")
			if n != 3 {
				t.Fatalf("relayed %d rows, want 3", n)
			}
			if n, err := r.RelayOnce(context.Background()); n != 0 || err != nil {
				t.Fatalf("second cycle: %d, %v", n, err)
			}
			if c := e.outboxCount(t); c != 0 {
				t.Fatalf("%d rows left", c)
			}
			msgs := platformtest.ReadStream(t, e.js, e.stream)
			if len(msgs) != 3 {
				t.Fatalf("stream has %d messages, want 3", len(msgs))
			}
			wantSubj := []string{e.prefix + ".order.order.created", e.prefix + ".order.order.created", e.prefix + ".order.order.paid"}
			for i, m := range msgs {
				env, err := events.ParseEnvelope(m.Header)
				testenv.Must(t, err, "envelope %d", i)
				if m.Subject != wantSubj[i] || env.Source != "/test" || env.ID != m.Header.Get(nats.MsgIdHdr) ||
					env.ContentType != events.ContentTypeJSON || env.Time.IsZero() || m.Header.Get(HeaderAggregateType) != "order" {
					t.Errorf("message %d: subject %s envelope %+v headers %v", i, m.Subject, env, m.Header)
				}
				if tp := m.Header.Get("traceparent"); !strings.Contains(tp, producer.SpanContext().TraceID().String()) {
					t.Errorf("message %d traceparent %q does not carry the producer's trace", i, tp)
				}
			}
			if msgs[0].Header.Get(events.HeaderSubject) != "o-1" || msgs[1].Header.Get(events.HeaderSubject) != "o-2" {
				t.Errorf("ce-subject = %q, %q", msgs[0].Header.Get(events.HeaderSubject), msgs[1].Header.Get(events.HeaderSubject))
			}
			var linked bool
			for _, s := range rec.Ended() {
				if s.Name() == "outbox relay" {
					for _, l := range s.Links() {
						linked = linked || l.SpanContext.SpanID() == producer.SpanContext().SpanID()
					}
				}
			}
			if !linked {
				t.Error("relay span has no link to the producer span")
			}
		})
	}
}

// TestLateCommitIsNotSkipped holds a transaction with a lower sequence
// number open while a later one commits and is relayed: the late event must
// still be relayed when it commits.
func TestLateCommitIsNotSkipped(t *testing.T) {
	for _, mode := range platformtest.Modes {
		t.Run(string(mode), func(t *testing.T) {
			e := setup(t, mode)
			ctx := context.Background()
			late, err := e.db.Pool.Begin(ctx)
			testenv.Must(t, err, "begin")
			defer late.Rollback(ctx)
			testenv.Must(t, Add(ctx, late, ev(t, "order", "late", "order.created", 1)), "add late")
			e.commit(t, func(tx pgx.Tx) error { return Add(ctx, tx, ev(t, "order", "early", "order.created", 2)) })
			var lateSeq, earlySeq int64
			testenv.Must(t, e.db.Pool.QueryRow(ctx, "SELECT max(seq) FROM outbox_events").Scan(&earlySeq), "seq")
			testenv.Must(t, late.QueryRow(ctx, "SELECT min(seq) FROM outbox_events").Scan(&lateSeq), "seq")
			if lateSeq >= earlySeq {
				t.Fatalf("setup: late seq %d not below early seq %d", lateSeq, earlySeq)
			}
			r := e.relay(t, RelayConfig{})
			if n, err := r.RelayOnce(ctx); n != 1 || err != nil {
				t.Fatalf("first cycle relayed %d, %v; want the committed event only", n, err)
			}
			testenv.Must(t, late.Commit(ctx), "commit late")
			if n, err := r.RelayOnce(ctx); n != 1 || err != nil {
				t.Fatalf("second cycle relayed %d, %v; the late commit was skipped", n, err)
			}
			msgs := platformtest.ReadStream(t, e.js, e.stream)
			if len(msgs) != 2 || msgs[0].Header.Get(events.HeaderSubject) != "early" || msgs[1].Header.Get(events.HeaderSubject) != "late" {
				t.Fatalf("stream = %d messages", len(msgs))
			}
		})
	}
}

// TestNotifyWakesRelay sets a one-hour poll interval and re-poll delay, so
// once the relay waits idle only NOTIFY can wake it.
func TestNotifyWakesRelay(t *testing.T) {
	e := setup(t, platformtest.PgBouncer)
	r := e.relay(t, RelayConfig{ListenURL: e.direct, PollInterval: time.Hour})
	r.graceDelay = time.Hour
	waiting := func() bool {
		var on bool
		err := e.db.Pool.QueryRow(context.Background(), "SELECT listening FROM outbox_wakeup").Scan(&on)
		return err == nil && on
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range 3 {
		platformtest.Eventually(t, "relay waiting for NOTIFY", waiting)
		e.commit(t, func(tx pgx.Tx) error { return Add(ctx, tx, ev(t, "order", fmt.Sprint(i), "order.created", i)) })
		platformtest.Eventually(t, "relay woken by NOTIFY", func() bool { return r.Stats().Published == int64(i+1) })
	}
}

type orderEvent struct {
	Agg string `json:"agg"`
	N   int    `json:"n"`
}

// produce runs producers that bump a per-aggregate counter and add an
// event carrying it, rolling back about one transaction in seven. It
// returns the committed count per aggregate.
func produce(t *testing.T, db *postgres.DB, producers, txs, aggs int) map[string]int {
	t.Helper()
	ctx := context.Background()
	_, err := db.Pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS counters (agg text PRIMARY KEY, n int NOT NULL)")
	testenv.Must(t, err, "counters")
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(p), 7))
			for range txs {
				agg := fmt.Sprintf("a%d", rnd.IntN(aggs))
				rollback := rnd.IntN(7) == 0
				err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
					var n int
					if err := tx.QueryRow(ctx, `INSERT INTO counters VALUES ($1, 1)
ON CONFLICT (agg) DO UPDATE SET n = counters.n + 1 RETURNING n`, agg).Scan(&n); err != nil {
						return err
					}
					e, err := NewJSON("order", agg, "order.updated", orderEvent{agg, n})
					if err != nil {
						return err
					}
					if err := Add(ctx, tx, e); err != nil {
						return err
					}
					if rollback {
						return errRollback
					}
					return nil
				})
				if err != nil && !errors.Is(err, errRollback) {
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
	want := map[string]int{}
	rows, err := db.Pool.Query(ctx, "SELECT agg, n FROM counters")
	testenv.Must(t, err, "counters")
	for rows.Next() {
		var a string
		var n int
		testenv.Must(t, rows.Scan(&a, &n), "scan")
		want[a] = n
	}
	return want
}

var errRollback = errors.New("rollback on purpose")

// checkStream asserts that the stream holds every committed event exactly
// once and, per aggregate, in commit order.
func checkStream(t *testing.T, msgs []*jetstream.RawStreamMsg, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	ids := map[string]bool{}
	for _, m := range msgs {
		id := m.Header.Get(nats.MsgIdHdr)
		if ids[id] {
			t.Fatalf("event %s is in the stream twice", id)
		}
		ids[id] = true
		var oe orderEvent
		testenv.Must(t, json.Unmarshal(m.Data, &oe), "payload")
		if oe.N != got[oe.Agg]+1 {
			t.Fatalf("aggregate %s: event n=%d follows n=%d (lost, duplicated or reordered)", oe.Agg, oe.N, got[oe.Agg])
		}
		got[oe.Agg] = oe.N
	}
	total := 0
	for a, n := range want {
		total += n
		if got[a] != n {
			t.Fatalf("aggregate %s: stream has %d events, committed %d", a, got[a], n)
		}
	}
	if len(msgs) != total {
		t.Fatalf("stream has %d events, committed %d", len(msgs), total)
	}
}

// TestReplicasKeepPerAggregateOrder runs three relays at once while eight
// producers commit (and sometimes roll back) events on a few hot
// aggregates: every committed event is in the stream once, per aggregate
// in commit order. Direct mode runs unleased replicas, all relaying at once;
// PgBouncer mode runs leased replicas.
func TestReplicasKeepPerAggregateOrder(t *testing.T) {
	for _, mode := range platformtest.Modes {
		t.Run(string(mode), func(t *testing.T) {
			e := setup(t, mode)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var relays []*Relay
			for range 3 {
				r := e.relay(t, RelayConfig{BatchSize: 37, NoLease: mode == platformtest.Direct, LeaseTTL: time.Second, PollInterval: 5 * time.Millisecond})
				relays = append(relays, r)
				wg.Add(1)
				go func() { defer wg.Done(); r.Run(ctx) }()
			}
			want := produce(t, e.db, 8, 40, 6)
			platformtest.Eventually(t, "outbox drained", func() bool { return e.outboxCount(t) == 0 })
			cancel()
			wg.Wait()
			checkStream(t, platformtest.ReadStream(t, e.js, e.stream), want)
			var published int64
			for _, r := range relays {
				published += r.Stats().Published
			}
			if total := len(platformtest.ReadStream(t, e.js, e.stream)); published != int64(total) {
				t.Fatalf("relays stored %d new messages, stream has %d", published, total)
			}
		})
	}
}

func TestLeaseElectsOneRelay(t *testing.T) {
	e := setup(t, platformtest.Direct)
	ctx := context.Background()
	a := e.relay(t, RelayConfig{Owner: "a", LeaseTTL: time.Hour})
	b := e.relay(t, RelayConfig{Owner: "b", LeaseTTL: time.Hour})
	if ok, err := a.holdLease(ctx); !ok || err != nil {
		t.Fatalf("a: %v %v", ok, err)
	}
	if ok, err := b.holdLease(ctx); ok || err != nil {
		t.Fatalf("b took a held lease: %v %v", ok, err)
	}
	a.releaseLease()
	if ok, err := b.holdLease(ctx); !ok || err != nil {
		t.Fatalf("b after release: %v %v", ok, err)
	}
}

// TestTooLargeEventIsDeadLettered gives the stream a 4 KiB message limit:
// the oversized event goes to outbox_dead_letters with the reason, and the
// aggregate's other events are still relayed.
func TestTooLargeEventIsDeadLettered(t *testing.T) {
	db, direct := platformtest.DB(t, platformtest.Direct)
	testenv.Must(t, EnsureSchema(context.Background(), db.Pool), "schema")
	nc, js, name := platformtest.NATS(t)
	e := newEnv(t, db, direct, nc, js, name, events.StreamSpec{MaxMsgSize: 4096})
	ctx := context.Background()
	big := strings.Repeat("x", 8192)
	e.commit(t, func(tx pgx.Tx) error {
		return Add(ctx, tx, ev(t, "order", "o", "order.created", 1), ev(t, "order", "o", "order.noted", big), ev(t, "order", "o", "order.paid", 3))
	})
	r := e.relay(t, RelayConfig{})
	n, err := r.RelayOnce(ctx)
	testenv.Must(t, err, "relay")
	if n != 3 || r.Stats().DeadLettered != 1 || r.Stats().Published != 2 {
		t.Fatalf("relayed %d, stats %+v", n, r.Stats())
	}
	var typ, reason string
	testenv.Must(t, db.Pool.QueryRow(ctx, "SELECT event_type, reason FROM outbox_dead_letters").Scan(&typ, &reason), "dead letter")
	if typ != "order.noted" || !strings.Contains(reason, "maximum") {
		t.Fatalf("dead letter %s: %q", typ, reason)
	}
	if msgs := platformtest.ReadStream(t, e.js, e.stream); len(msgs) != 2 || e.outboxCount(t) != 0 {
		t.Fatalf("stream %d messages, outbox %d rows", len(msgs), e.outboxCount(t))
	}
}
