package telemetry_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/libs/platform/telemetry"
	"github.com/centuria/centuria/libs/platform/telemetry/telemetrytest"
	"go.opentelemetry.io/otel/metric"
)

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// TestExportsAllSignals sends a span, a counter and a log record through
// each OTLP protocol to an in-process receiver and checks they arrive with
// the service's resource, and that the log record carries the span's ids.
func TestExportsAllSignals(t *testing.T) {
	for _, proto := range []string{telemetry.ProtocolGRPC, telemetry.ProtocolHTTP} {
		t.Run(strings.ReplaceAll(proto, "/", "_"), func(t *testing.T) {
			rcv := telemetrytest.NewReceiver(t)
			endpoint := rcv.GRPCEndpoint()
			if proto == telemetry.ProtocolHTTP {
				endpoint = rcv.HTTPEndpoint()
			}
			cfg, err := telemetry.ConfigFromEnv("billing", lookupIn(map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
				"OTEL_EXPORTER_OTLP_PROTOCOL": proto,
				"OTEL_RESOURCE_ATTRIBUTES":    "deployment.environment=test",
			}))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			cfg.LogOutput = &out
			ctx := context.Background()
			tel, err := telemetry.New(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			sctx, span := tel.TracerProvider().Tracer("test").Start(ctx, "charge")
			c, err := tel.MeterProvider().Meter("test").Int64Counter("billing.charges", metric.WithUnit("{charge}"))
			if err != nil {
				t.Fatal(err)
			}
			c.Add(sctx, 3)
			tel.Logger().InfoContext(sctx, "charged", "amount", 12)
			span.End()
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			traceID := span.SpanContext().TraceID()
			var gotSpan bool
			for _, s := range rcv.Spans() {
				gotSpan = gotSpan || (s.Name == "charge" && bytes.Equal(s.TraceId, traceID[:]) &&
					s.Resource["service.name"] == "billing" && s.Resource["deployment.environment"] == "test")
			}
			var gotMetric bool
			for _, m := range rcv.Metrics() {
				if m.Name == "billing.charges" && m.Resource["service.name"] == "billing" {
					for _, dp := range m.GetSum().GetDataPoints() {
						gotMetric = gotMetric || dp.GetAsInt() == 3
					}
				}
			}
			var gotLog bool
			for _, l := range rcv.Logs() {
				gotLog = gotLog || (l.GetBody().GetStringValue() == "charged" && hex.EncodeToString(l.TraceId) == traceID.String() &&
					l.Resource["service.name"] == "billing")
			}
			if !gotSpan || !gotMetric || !gotLog {
				t.Fatalf("received span %v, metric %v, log %v (%d spans, %d metrics, %d logs)",
					gotSpan, gotMetric, gotLog, len(rcv.Spans()), len(rcv.Metrics()), len(rcv.Logs()))
			}
			var line map[string]any
			if err := json.Unmarshal(out.Bytes(), &line); err != nil {
				t.Fatalf("stdout log %q: %v", out.String(), err)
			}
			if line["msg"] != "charged" || line["trace_id"] != traceID.String() || line["span_id"] != span.SpanContext().SpanID().String() {
				t.Fatalf("stdout log %v", line)
			}
		})
	}
}

// TestNoEndpointStillScrapes checks that without an endpoint nothing is
// exported, spans still get ids for the logs, and the Prometheus handler
// serves the meter provider's metrics with target_info.
func TestNoEndpointStillScrapes(t *testing.T) {
	var out bytes.Buffer
	cfg, err := telemetry.ConfigFromEnv("billing", lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	cfg.LogOutput, cfg.LogLevel = &out, slog.LevelWarn
	tel, err := telemetry.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	ctx, span := tel.TracerProvider().Tracer("test").Start(context.Background(), "x")
	defer span.End()
	if !span.SpanContext().IsValid() {
		t.Fatal("span has no ids without an exporter")
	}
	tel.Logger().InfoContext(ctx, "hidden below warn")
	tel.Logger().WarnContext(ctx, "shown")
	if strings.Contains(out.String(), "hidden") || !strings.Contains(out.String(), `"trace_id":"`+span.SpanContext().TraceID().String()) {
		t.Fatalf("logs: %s", out.String())
	}
	g, _ := tel.MeterProvider().Meter("test").Int64Gauge("billing.queue.depth")
	g.Record(ctx, 7)
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(body), "billing_queue_depth{") || !strings.Contains(string(body), `target_info{service_name="billing"`) {
		t.Fatalf("/metrics:\n%s", body)
	}
}

// TestDisabledSDK checks OTEL_SDK_DISABLED turns spans off but keeps the
// scrape handler.
func TestDisabledSDK(t *testing.T) {
	cfg, err := telemetry.ConfigFromEnv("billing", lookupIn(map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.LogOutput = io.Discard
	tel, err := telemetry.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, span := tel.TracerProvider().Tracer("t").Start(context.Background(), "x")
	if span.SpanContext().IsValid() {
		t.Fatal("span recorded with the SDK disabled")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics = %d", rec.Code)
	}
}
