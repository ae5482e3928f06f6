package otlpsink

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// The receiver is fed by the real OTLP/gRPC exporter of the OpenTelemetry
// SDK, as the services use it.
func TestReceivesSpansFromTheSDKExporter(t *testing.T) {
	r, err := Start("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	tracer := func(service string) (*sdktrace.TracerProvider, func()) {
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(r.Endpoint()))
		if err != nil {
			t.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
			sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
		return tp, func() { _ = tp.Shutdown(ctx) }
	}
	tpA, stopA := tracer("alpha")
	defer stopA()
	tpB, stopB := tracer("beta")
	defer stopB()
	ctx1, parent := tpA.Tracer("t").Start(ctx, "GET /things")
	_, child := tpB.Tracer("t").Start(ctx1, "handle")
	child.SetAttributes(attribute.String("thing.id", "42"), attribute.Int("n", 3))
	child.End()
	parent.End()
	_, other := tpA.Tracer("t").Start(ctx, "unrelated")
	other.End()

	traceID := parent.SpanContext().TraceID().String()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.Trace(traceID)) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	spans := r.Trace(traceID)
	if len(spans) != 2 {
		t.Fatalf("trace has %d spans, want 2: %+v", len(spans), spans)
	}
	got := r.Services(traceID)
	if got["alpha"] != 1 || got["beta"] != 1 {
		t.Fatalf("services = %v", got)
	}
	for _, s := range spans {
		if s.Name == "handle" {
			if s.ParentID != parent.SpanContext().SpanID().String() || s.Attrs["thing.id"] != "42" || s.Attrs["n"] != "3" {
				t.Fatalf("child span = %+v", s)
			}
		}
	}
	if len(r.Spans()) != 3 {
		t.Fatalf("%d spans in all, want 3", len(r.Spans()))
	}
}
