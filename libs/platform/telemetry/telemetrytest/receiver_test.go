package telemetrytest

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// The receiver is fed by the real OTLP exporters of the OpenTelemetry SDK,
// over each protocol: one trace crosses two services, a second trace stays
// apart, and every span keeps its ids, parent, kind, service and
// attributes.
func TestReceivesOneTraceAcrossServices(t *testing.T) {
	for _, protocol := range []string{"grpc", "http"} {
		t.Run(protocol, func(t *testing.T) {
			r := NewReceiver(t)
			ctx := context.Background()
			tracer := func(service string) trace.Tracer {
				var (
					exp sdktrace.SpanExporter
					err error
				)
				if protocol == "grpc" {
					exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(r.GRPCEndpoint()))
				} else {
					exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(r.HTTPEndpoint()+"/v1/traces"))
				}
				if err != nil {
					t.Fatal(err)
				}
				tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
					sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
				t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
				return tp.Tracer("test")
			}
			alpha, beta := tracer("alpha"), tracer("beta")

			ctx1, parent := alpha.Start(ctx, "GET /things", trace.WithSpanKind(trace.SpanKindServer))
			_, child := beta.Start(ctx1, "handle", trace.WithSpanKind(trace.SpanKindConsumer),
				trace.WithTimestamp(time.Now().Add(time.Millisecond)))
			child.SetAttributes(attribute.String("thing.id", "42"), attribute.Int("n", 3), attribute.Bool("ok", true))
			child.End() // exported first, started after its parent
			parent.End()
			_, other := alpha.Start(ctx, "unrelated")
			other.End()

			traceID := parent.SpanContext().TraceID().String()
			spans := r.Trace(traceID)
			if len(spans) != 2 {
				t.Fatalf("trace has %d spans, want 2: %+v", len(spans), spans)
			}
			root, c := spans[0], spans[1]
			if root.Name != "GET /things" || c.Name != "handle" {
				t.Fatalf("trace = %q, %q; want the parent first (by start time), then the child", root.Name, c.Name)
			}
			if root.TraceID != traceID || root.SpanID != parent.SpanContext().SpanID().String() || root.ParentSpanID != "" ||
				root.Service != "alpha" || root.Kind != tracepb.Span_SPAN_KIND_SERVER || root.Resource["service.name"] != "alpha" {
				t.Errorf("root span: trace %s span %s parent %q service %q kind %v", root.TraceID, root.SpanID, root.ParentSpanID, root.Service, root.Kind)
			}
			if c.TraceID != traceID || c.SpanID != child.SpanContext().SpanID().String() || c.ParentSpanID != root.SpanID ||
				c.Service != "beta" || c.Kind != tracepb.Span_SPAN_KIND_CONSUMER {
				t.Errorf("child span: trace %s span %s parent %q service %q kind %v", c.TraceID, c.SpanID, c.ParentSpanID, c.Service, c.Kind)
			}
			if c.Attrs["thing.id"] != "42" || c.Attrs["n"] != "3" || c.Attrs["ok"] != "true" || len(c.Attrs) != 3 {
				t.Errorf("child attributes = %v", c.Attrs)
			}

			all := r.Spans()
			if len(all) != 3 {
				t.Fatalf("%d spans in all, want 3", len(all))
			}
			for _, s := range all {
				if s.Name == "unrelated" && (s.TraceID == traceID || s.ParentSpanID != "" || s.Kind != tracepb.Span_SPAN_KIND_INTERNAL) {
					t.Errorf("unrelated span: trace %s parent %q kind %v", s.TraceID, s.ParentSpanID, s.Kind)
				}
			}
			if got := r.Trace(strings.Repeat("0", 32)); len(got) != 0 {
				t.Errorf("trace of an unknown id = %v", got)
			}
		})
	}
}
