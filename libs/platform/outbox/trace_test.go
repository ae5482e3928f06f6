package outbox

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// TestOneTraceAcrossTwoHops follows a request through two hops: producer →
// relay → consumer A, whose handler adds a follow-up event in its
// transaction → relay → consumer B. Every span is in the producer's trace
// and the parent chain is unbroken: each publish span is a child of the
// span that added the event, and each consumer span a child of the publish
// span of its message.
func TestOneTraceAcrossTwoHops(t *testing.T) {
	e := setup(t, platformtest.Direct)
	ctx := context.Background()
	testenv.Must(t, events.EnsureInbox(ctx, e.db.Pool), "inbox")
	rec := tracetest.NewSpanRecorder()
	tp := trace.NewTracerProvider(trace.WithSpanProcessor(rec))

	pctx, producer := tp.Tracer("test").Start(ctx, "POST /orders")
	e.commit(t, func(tx pgx.Tx) error {
		return Add(pctx, tx, ev(t, "order", "o-1", "order.placed", map[string]string{"id": "o-1"}))
	})
	producer.End()

	relay := e.relay(t, RelayConfig{TracerProvider: tp, NoLease: true, PollInterval: 10 * time.Millisecond})
	rctx, stopRelay := context.WithCancel(ctx)
	relayDone := make(chan struct{})
	go func() { relay.Run(rctx); close(relayDone) }()
	defer func() { stopRelay(); <-relayDone }()

	type msg struct{ ID string }
	var mu sync.Mutex
	var handlerSpans = map[string]oteltrace.SpanContext{}
	sub := func(durable, eventType string, handle func(ctx context.Context, tx pgx.Tx) error) {
		s, err := events.NewSubscriber(e.js, e.db.Pool, events.SubscriberConfig{
			ConsumerSpec:   events.ConsumerSpec{Stream: e.stream, Durable: durable, FilterSubjects: []string{e.prefix + ".*." + eventType}},
			TracerProvider: tp,
		})
		testenv.Must(t, err, "subscriber")
		testenv.Must(t, events.Handle(s, eventType, func(ctx context.Context, tx pgx.Tx, ev events.Event[msg]) error {
			mu.Lock()
			handlerSpans[durable] = oteltrace.SpanContextFromContext(ctx)
			mu.Unlock()
			return handle(ctx, tx)
		}), "handle")
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			if err := s.Run(sctx); err != nil {
				t.Errorf("consumer %s: %v", durable, err)
			}
			close(done)
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	sub("inventory", "order.placed", func(ctx context.Context, tx pgx.Tx) error {
		// The follow-up event stores ctx's trace context: the consumer span.
		return Add(ctx, tx, ev(t, "stock", "sku-1", "stock.reserved", map[string]string{"id": "o-1"}))
	})
	sub("payments", "stock.reserved", func(context.Context, pgx.Tx) error { return nil })

	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(handlerSpans)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 consumers handled their event; relay %+v, stream %d messages", n, relay.Stats(), len(platformtest.ReadStream(t, e.js, e.stream)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopRelay()
	<-relayDone
	platformtest.Eventually(t, "consumer spans ended", func() bool {
		n := 0
		for _, s := range rec.Ended() {
			if s.SpanKind() == oteltrace.SpanKindConsumer {
				n++
			}
		}
		return n == 2
	})

	spans := map[oteltrace.SpanID]trace.ReadOnlySpan{}
	byName := map[string]trace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.SpanContext().SpanID()] = s
		byName[s.Name()] = s
	}
	traceID := producer.SpanContext().TraceID()
	chain := []string{
		"POST /orders",
		"send " + e.prefix + ".order.order.placed",
		"process order.placed",
		"send " + e.prefix + ".stock.stock.reserved",
		"process stock.reserved",
	}
	for i, name := range chain {
		s := byName[name]
		if s == nil {
			t.Fatalf("no span %q among %d spans", name, len(spans))
		}
		if s.SpanContext().TraceID() != traceID {
			t.Errorf("span %q is in trace %s, want %s", name, s.SpanContext().TraceID(), traceID)
		}
		if i > 0 && s.Parent().SpanID() != byName[chain[i-1]].SpanContext().SpanID() {
			parent := "unknown"
			if p := spans[s.Parent().SpanID()]; p != nil {
				parent = p.Name()
			}
			t.Errorf("span %q has parent %q, want %q", name, parent, chain[i-1])
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for durable, sc := range handlerSpans {
		if sc.TraceID() != traceID {
			t.Errorf("handler of %s ran in trace %s, want %s", durable, sc.TraceID(), traceID)
		}
	}
}
