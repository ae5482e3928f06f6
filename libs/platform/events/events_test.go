package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
	ctx := context.Background()
	db, direct := platformtest.DB(t, mode)
	testenv.Must(t, events.EnsureInbox(ctx, db.Pool), "inbox")
	_, err := db.Pool.Exec(ctx, "CREATE TABLE effects (event_id text, note text)")
	testenv.Must(t, err, "effects table")
	nc, js, name := platformtest.NATS(t)
	prefix := strings.ToLower(name)
	_, err = events.EnsureStream(ctx, js, events.StreamSpec{Name: name, Subjects: []string{prefix + ".>"}})
	testenv.Must(t, err, "stream")
	return env{db: db, direct: direct, nc: nc, js: js, stream: name, prefix: prefix}
}

func (e env) subscriber(t *testing.T, cfg events.SubscriberConfig) *events.Subscriber {
	t.Helper()
	cfg.Stream = e.stream
	if cfg.Durable == "" {
		cfg.Durable = "worker"
	}
	if cfg.RetryMin == 0 {
		cfg.RetryMin, cfg.RetryMax = 10*time.Millisecond, 50*time.Millisecond
	}
	s, err := events.NewSubscriber(e.js, e.db.Pool, cfg)
	testenv.Must(t, err, "subscriber")
	return s
}

// run runs s until the returned stop function is called.
func run(t *testing.T, s *events.Subscriber) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// publish publishes a raw CloudEvents message.
func (e env) publish(t *testing.T, typ, id string, payload string, extra nats.Header) {
	t.Helper()
	m := nats.NewMsg(e.prefix + ".order." + typ)
	events.Envelope{ID: id, Type: typ, Source: "/test", Subject: "o-1", Time: time.Now()}.Write(m.Header)
	for k, v := range extra {
		m.Header[k] = v
	}
	m.Data = []byte(payload)
	_, err := e.js.PublishMsg(context.Background(), m)
	testenv.Must(t, err, "publish")
}

func (e env) effects(t *testing.T) int {
	t.Helper()
	var n int
	testenv.Must(t, e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM effects").Scan(&n), "effects")
	return n
}

type order struct {
	ID    string `json:"id"`
	Total int    `json:"total"`
}

func recordEffect(ctx context.Context, tx pgx.Tx, ev events.Event[order]) error {
	_, err := tx.Exec(ctx, "INSERT INTO effects VALUES ($1, $2)", ev.ID, ev.Data.ID)
	return err
}

// TestOutboxToHandlerExactlyOnceWithTrace sends events through the outbox
// and relay to a typed handler, redelivers one of them with a fresh
// Nats-Msg-Id (as a republish after the duplicate window would), and checks
// the effect happened once and the trace crossed both hops.
func TestOutboxToHandlerExactlyOnceWithTrace(t *testing.T) {
	for _, mode := range platformtest.Modes {
		t.Run(string(mode), func(t *testing.T) {
			e := setup(t, mode)
			ctx := context.Background()
			testenv.Must(t, outbox.EnsureSchema(ctx, e.db.Pool), "outbox schema")
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))

			pctx, producer := tp.Tracer("test").Start(ctx, "POST /orders")
			var firstID string
			testenv.Must(t, pgx.BeginFunc(pctx, e.db.Pool, func(tx pgx.Tx) error {
				var evs []outbox.Event
				for i := range 3 {
					ev, err := outbox.NewJSON("order", "o-1", "order.created", order{ID: "o-1", Total: i})
					if err != nil {
						return err
					}
					evs = append(evs, ev)
				}
				return outbox.Add(pctx, tx, evs...)
			}), "add")
			producer.End()
			relay, err := outbox.NewRelay(e.db.Pool, e.nc, outbox.RelayConfig{Source: "/orders", SubjectPrefix: e.prefix, TracerProvider: tp})
			testenv.Must(t, err, "relay")
			_, err = relay.RelayOnce(ctx)
			testenv.Must(t, err, "relay once")

			s := e.subscriber(t, events.SubscriberConfig{TracerProvider: tp})
			var seen sync.Map
			testenv.Must(t, events.Handle(s, "order.created", func(ctx context.Context, tx pgx.Tx, ev events.Event[order]) error {
				if ev.Source != "/orders" || ev.Subject != "o-1" || ev.Data.ID != "o-1" {
					t.Errorf("event %+v", ev)
				}
				seen.Store(ev.ID, true)
				return recordEffect(ctx, tx, ev)
			}), "handle")
			run(t, s)
			platformtest.Eventually(t, "three effects", func() bool { return e.effects(t) == 3 })

			msgs := platformtest.ReadStream(t, e.js, e.stream)
			firstID = msgs[0].Header.Get(events.HeaderID)
			again := nats.NewMsg(msgs[0].Subject)
			again.Header = msgs[0].Header
			again.Header.Set(nats.MsgIdHdr, uuid.NewString())
			again.Data = msgs[0].Data
			_, err = e.js.PublishMsg(ctx, again)
			testenv.Must(t, err, "redeliver")
			platformtest.Eventually(t, "redelivered copy acked", func() bool {
				c, err := e.js.Consumer(ctx, e.stream, "worker")
				if err != nil {
					return false
				}
				info, err := c.Info(ctx)
				return err == nil && info.AckFloor.Stream == 4
			})
			if n := e.effects(t); n != 3 {
				t.Fatalf("%d effects after a redelivery of %s, want 3", n, firstID)
			}

			// One trace: producer → publish span (child of the producer's
			// stored context) → consumer span (child of the publish span).
			var relaySpan, consumerSpans int
			publishSpans := map[string]bool{}
			for _, sp := range rec.Ended() {
				switch {
				case sp.Name() == "outbox relay":
					if len(sp.Links()) > 0 && sp.Links()[0].SpanContext.SpanID() == producer.SpanContext().SpanID() {
						relaySpan++
					}
				case strings.HasPrefix(sp.Name(), "send "):
					if sp.Parent().SpanID() == producer.SpanContext().SpanID() && sp.SpanContext().TraceID() == producer.SpanContext().TraceID() {
						publishSpans[sp.SpanContext().SpanID().String()] = true
					}
				}
			}
			for _, sp := range rec.Ended() {
				if sp.Name() == "process order.created" && sp.Parent().TraceID() == producer.SpanContext().TraceID() && publishSpans[sp.Parent().SpanID().String()] {
					consumerSpans++
				}
			}
			if relaySpan != 1 || len(publishSpans) != 3 || consumerSpans < 3 {
				t.Fatalf("trace: relay spans linked to producer %d, publish spans under producer %d, consumer spans under them %d", relaySpan, len(publishSpans), consumerSpans)
			}
		})
	}
}

func TestLowercaseTraceparentFromOtherLanguages(t *testing.T) {
	e := setup(t, platformtest.Direct)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	s := e.subscriber(t, events.SubscriberConfig{TracerProvider: tp})
	testenv.Must(t, events.Handle(s, "order.created", recordEffect), "handle")
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	e.publish(t, "order.created", "py-1", `{"id":"o-1"}`, nats.Header{"traceparent": {"00-" + traceID + "-00f067aa0ba902b7-01"}})
	e.publish(t, "order.created", "go-1", `{"id":"o-1"}`, nats.Header{"Traceparent": {"00-" + traceID + "-00f067aa0ba902b8-01"}})
	run(t, s)
	platformtest.Eventually(t, "effects", func() bool { return e.effects(t) == 2 })
	platformtest.Eventually(t, "spans", func() bool { return len(rec.Ended()) >= 2 })
	for _, sp := range rec.Ended() {
		if sp.SpanContext().TraceID().String() != traceID {
			t.Errorf("span %s in trace %s", sp.Name(), sp.SpanContext().TraceID())
		}
	}
}

func TestRetriesWithBackoffThenSucceeds(t *testing.T) {
	e := setup(t, platformtest.Direct)
	s := e.subscriber(t, events.SubscriberConfig{MaxDeliver: 5})
	var calls atomic.Int32
	var lastDelivery atomic.Uint64
	testenv.Must(t, events.Handle(s, "order.created", func(ctx context.Context, tx pgx.Tx, ev events.Event[order]) error {
		calls.Add(1)
		lastDelivery.Store(ev.Delivery)
		if err := recordEffect(ctx, tx, ev); err != nil {
			return err
		}
		if ev.Delivery < 3 {
			return errors.New("downstream busy") // rolls back the effect
		}
		return nil
	}), "handle")
	e.publish(t, "order.created", "r-1", `{"id":"o-1"}`, nil)
	run(t, s)
	platformtest.Eventually(t, "effect", func() bool { return e.effects(t) == 1 })
	if calls.Load() != 3 || lastDelivery.Load() != 3 {
		t.Fatalf("calls %d, last delivery %d; want 3 and 3", calls.Load(), lastDelivery.Load())
	}
}

// TestDeadLetters checks every road to the dead-letter stream: retries
// exhausted, a permanent error, an unknown type, an undecodable payload and
// a message without a CloudEvents envelope. Each arrives with its cause and
// the original message is terminated, not lost.
func TestDeadLetters(t *testing.T) {
	e := setup(t, platformtest.PgBouncer)
	s := e.subscriber(t, events.SubscriberConfig{MaxDeliver: 3})
	testenv.Must(t, events.Handle(s, "order.created", func(ctx context.Context, tx pgx.Tx, ev events.Event[order]) error {
		switch ev.Data.ID {
		case "flaky":
			return errors.New("always failing")
		case "poison":
			return events.Permanent(errors.New("order total negative"))
		}
		return recordEffect(ctx, tx, ev)
	}), "handle")
	e.publish(t, "order.created", "d-1", `{"id":"flaky"}`, nil)
	e.publish(t, "order.created", "d-2", `{"id":"poison"}`, nil)
	e.publish(t, "order.refunded", "d-3", `{"id":"x"}`, nil)
	e.publish(t, "order.created", "d-4", `{"id": 42}`, nil)
	raw := nats.NewMsg(e.prefix + ".order.created")
	raw.Data = []byte(`{"id":"no envelope"}`)
	_, err := e.js.PublishMsg(context.Background(), raw)
	testenv.Must(t, err, "publish raw")
	e.publish(t, "order.created", "d-6", `{"id":"fine"}`, nil)
	run(t, s)

	dlq := e.stream + "_DLQ"
	platformtest.Eventually(t, "five dead letters", func() bool {
		st, err := e.js.Stream(context.Background(), dlq)
		if err != nil {
			return false
		}
		info, err := st.Info(context.Background())
		return err == nil && info.State.Msgs == 5
	})
	want := map[string]string{
		"d-1": "gave up after 3 deliveries: always failing",
		"d-2": "order total negative",
		"d-3": "unknown event type",
		"d-4": "decoding event payload",
		"":    "ce-id header missing",
	}
	for _, m := range platformtest.ReadStream(t, e.js, dlq) {
		id := m.Header.Get(events.HeaderID)
		reason := m.Header.Get(events.HeaderDLQReason)
		if !strings.Contains(reason, want[id]) || want[id] == "" && id != "" {
			t.Errorf("dead letter %q: reason %q, want it to contain %q", id, reason, want[id])
		}
		if m.Header.Get(events.HeaderDLQConsumer) != "worker" || m.Header.Get(events.HeaderDLQStreamSeq) == "" || !strings.HasPrefix(m.Subject, "dlq."+e.stream+".worker.") {
			t.Errorf("dead letter %q: subject %s headers %v", id, m.Subject, m.Header)
		}
		if id == "d-1" && m.Header.Get(events.HeaderDLQDeliveries) != "3" {
			t.Errorf("d-1 deliveries %q", m.Header.Get(events.HeaderDLQDeliveries))
		}
		delete(want, id)
	}
	if len(want) != 0 {
		t.Errorf("missing dead letters: %v", want)
	}
	platformtest.Eventually(t, "all messages settled", func() bool {
		c, err := e.js.Consumer(context.Background(), e.stream, "worker")
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0 && info.NumRedelivered == 0
	})
	if n := e.effects(t); n != 1 {
		t.Fatalf("effects = %d, want 1", n)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	e := setup(t, platformtest.Direct)
	s := e.subscriber(t, events.SubscriberConfig{})
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	testenv.Must(t, events.Handle(s, "order.created", func(ctx context.Context, tx pgx.Tx, ev events.Event[order]) error {
		close(started)
		<-release
		if err := recordEffect(ctx, tx, ev); err != nil {
			return err
		}
		finished.Store(true)
		return nil
	}), "handle")
	e.publish(t, "order.created", "g-1", `{"id":"o-1"}`, nil)
	stop := run(t, s)
	<-started
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	time.Sleep(50 * time.Millisecond) // let shutdown begin while the handler runs
	close(release)
	<-stopped
	if !finished.Load() || e.effects(t) != 1 {
		t.Fatalf("Run returned before the in-flight handler committed (finished=%v, effects=%d)", finished.Load(), e.effects(t))
	}
	c, err := e.js.Consumer(context.Background(), e.stream, "worker")
	testenv.Must(t, err, "consumer")
	info, err := c.Info(context.Background())
	testenv.Must(t, err, "consumer info")
	if info.NumAckPending != 0 || info.AckFloor.Stream != 1 {
		t.Fatalf("message not acked on shutdown: %+v", info)
	}
}

func TestDeclarationsAreIdempotentAndValidated(t *testing.T) {
	_, js, name := platformtest.NATS(t)
	ctx := context.Background()
	spec := events.StreamSpec{Name: name, Subjects: []string{strings.ToLower(name) + ".>"}, Duplicates: time.Hour}
	for range 2 {
		_, err := events.EnsureStream(ctx, js, spec)
		testenv.Must(t, err, "ensure stream")
	}
	spec.MaxAge = 24 * time.Hour
	st, err := events.EnsureStream(ctx, js, spec)
	testenv.Must(t, err, "update stream")
	if info, _ := st.Info(ctx); info.Config.MaxAge != 24*time.Hour || info.Config.Duplicates != time.Hour || info.Config.Storage != jetstream.FileStorage {
		t.Fatalf("stream config %+v", info.Config)
	}
	for range 2 {
		_, err := events.EnsureConsumer(ctx, js, events.ConsumerSpec{Stream: name, Durable: "c1"})
		testenv.Must(t, err, "ensure consumer")
	}
	bad := []error{
		func() error {
			_, err := events.EnsureStream(ctx, js, events.StreamSpec{Name: "a.b", Subjects: []string{"x"}})
			return err
		}(),
		func() error { _, err := events.EnsureStream(ctx, js, events.StreamSpec{Name: "A"}); return err }(),
		func() error {
			_, err := events.EnsureStream(ctx, js, events.StreamSpec{Name: "A", Subjects: []string{"x"}, MaxAge: time.Minute, Duplicates: time.Hour})
			return err
		}(),
		func() error {
			_, err := events.EnsureConsumer(ctx, js, events.ConsumerSpec{Stream: name, Durable: "a b"})
			return err
		}(),
		func() error {
			_, err := events.NewSubscriber(js, nil, events.SubscriberConfig{ConsumerSpec: events.ConsumerSpec{Stream: name, Durable: "w"}, Workers: -1})
			return err
		}(),
	}
	for i, err := range bad {
		if !errors.Is(err, events.ErrInvalidConfig) {
			t.Errorf("bad declaration %d: err = %v", i, err)
		}
	}
	s, err := events.NewSubscriber(js, nil, events.SubscriberConfig{ConsumerSpec: events.ConsumerSpec{Stream: name, Durable: "w"}})
	testenv.Must(t, err, "subscriber")
	h := func(context.Context, pgx.Tx, events.Event[json.RawMessage]) error { return nil }
	testenv.Must(t, events.Handle(s, "a", h), "handle")
	if err := events.Handle(s, "a", h); !errors.Is(err, events.ErrInvalidConfig) {
		t.Errorf("duplicate handler: %v", err)
	}
}

func TestPanickingHandlerIsRetriedThenDeadLettered(t *testing.T) {
	e := setup(t, platformtest.Direct)
	s := e.subscriber(t, events.SubscriberConfig{MaxDeliver: 2})
	var calls atomic.Int32
	testenv.Must(t, events.Handle(s, "order.created", func(ctx context.Context, tx pgx.Tx, ev events.Event[order]) error {
		calls.Add(1)
		if err := recordEffect(ctx, tx, ev); err != nil {
			return err
		}
		panic("nil map")
	}), "handle")
	e.publish(t, "order.created", "p-1", `{"id":"o-1"}`, nil)
	run(t, s)
	platformtest.Eventually(t, "dead letter", func() bool {
		st, err := e.js.Stream(context.Background(), e.stream+"_DLQ")
		if err != nil {
			return false
		}
		info, err := st.Info(context.Background())
		return err == nil && info.State.Msgs == 1
	})
	dl := platformtest.ReadStream(t, e.js, e.stream+"_DLQ")[0]
	if r := dl.Header.Get(events.HeaderDLQReason); !strings.Contains(r, "handler panicked: nil map") || calls.Load() != 2 {
		t.Fatalf("reason %q after %d calls", r, calls.Load())
	}
	if n := e.effects(t); n != 0 {
		t.Fatalf("%d effects committed by a panicking handler", n)
	}
}
