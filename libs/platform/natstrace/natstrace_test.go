package natstrace

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"
)

const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestExtractAnySpelling(t *testing.T) {
	for _, key := range []string{"traceparent", "Traceparent", "TRACEPARENT"} {
		h := nats.Header{key: {parent}}
		sc := trace.SpanContextFromContext(Extract(context.Background(), nil, h))
		if !sc.IsValid() || sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || !sc.IsRemote() {
			t.Errorf("%s: span context %v", key, sc)
		}
	}
}

func TestInjectWritesLowerCaseOnce(t *testing.T) {
	in := nats.Header{"traceparent": {parent}}
	ctx := Extract(context.Background(), nil, in)
	out := nats.Header{"Traceparent": {"00-stale-stale-00"}}
	Inject(ctx, nil, out)
	if got := out.Get("traceparent"); got != parent {
		t.Fatalf("traceparent = %q", got)
	}
	if _, ok := out["Traceparent"]; ok {
		t.Fatalf("stale canonical key kept: %v", out)
	}
}
