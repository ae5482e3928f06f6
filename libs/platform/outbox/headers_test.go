package outbox

import (
	"context"
	"fmt"
	"testing"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/sdk/trace"
)

// TestHeadersReachTheStream writes events with and without headers of
// their own, with and without a trace context, one per call and several per
// call, and checks the headers each message carries.
func TestHeadersReachTheStream(t *testing.T) {
	for _, mode := range platformtest.Modes {
		t.Run(string(mode), func(t *testing.T) {
			e := setup(t, mode)
			tp := trace.NewTracerProvider()
			traced, span := tp.Tracer("test").Start(context.Background(), "handler")
			defer span.End()
			plain := Event{AggregateType: "doc", AggregateID: "d-1", Type: "doc.raw", Payload: []byte("not json"),
				Headers: map[string]string{"Content-Type": "text/plain", "X-Tenant": `a "quoted" \ value`}}
			bare := ev(t, "doc", "d-2", "doc.created", 1)
			for _, ctx := range []context.Context{context.Background(), traced} {
				e.commit(t, func(tx pgx.Tx) error { return Add(ctx, tx, plain) })
				e.commit(t, func(tx pgx.Tx) error { return Add(ctx, tx, bare) })
				e.commit(t, func(tx pgx.Tx) error { return Add(ctx, tx, plain, bare) })
			}
			r := e.relay(t, RelayConfig{})
			if n, err := r.RelayOnce(context.Background()); n != 8 || err != nil {
				t.Fatalf("relayed %d, %v; want 8", n, err)
			}
			msgs := platformtest.ReadStream(t, e.js, e.stream)
			if len(msgs) != 8 {
				t.Fatalf("stream has %d messages, want 8", len(msgs))
			}
			for i, m := range msgs {
				env, err := events.ParseEnvelope(m.Header)
				testenv.Must(t, err, "envelope %d", i)
				wantTrace := i >= 4
				if got := m.Header.Get("traceparent") != ""; got != wantTrace {
					t.Errorf("message %d: traceparent %q, want one: %v", i, m.Header.Get("traceparent"), wantTrace)
				}
				switch env.Subject {
				case "d-1":
					if env.ContentType != "text/plain" || m.Header.Get("X-Tenant") != plain.Headers["X-Tenant"] || string(m.Data) != "not json" {
						t.Errorf("message %d: content type %q, X-Tenant %q, data %q", i, env.ContentType, m.Header.Get("X-Tenant"), m.Data)
					}
				case "d-2":
					if env.ContentType != events.ContentTypeJSON || m.Header.Get("X-Tenant") != "" {
						t.Errorf("message %d: content type %q, X-Tenant %q", i, env.ContentType, m.Header.Get("X-Tenant"))
					}
				default:
					t.Errorf("message %d: %s", i, fmt.Sprint(env))
				}
			}
		})
	}
}
