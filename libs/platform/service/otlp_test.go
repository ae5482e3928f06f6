package service

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/centuria/centuria/libs/platform/telemetry"
	"github.com/centuria/centuria/libs/platform/telemetry/telemetrytest"
)

// TestOTLPExportOfAService runs a service against an in-process OTLP gRPC
// receiver: a request and the message it causes arrive as one trace
// (server span → outbox publish span → consumer span), the documented metrics
// arrive with service.name, and the request's log record carries its trace.
func TestOTLPExportOfAService(t *testing.T) {
	rcv := telemetrytest.NewReceiver(t)
	env, stream, prefix := baseEnv(t)
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = rcv.GRPCEndpoint()
	env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
	env["OTEL_METRIC_EXPORT_INTERVAL"] = "100"
	r := start(t, itemsSpec(stream, prefix, nil), env)
	if code := post(t, "http://"+r.svc.HTTPAddr()+"/items/o1"); code != http.StatusCreated {
		t.Fatalf("POST = %d", code)
	}
	platformtest.Eventually(t, "item processed", func() bool { return processed(t, env["DATABASE_URL"], "o1") })
	if err := r.stop(t); err != nil { // flushes telemetry
		t.Fatal(err)
	}

	byName := map[string]telemetrytest.Span{}
	for _, s := range rcv.Spans() {
		if s.Resource["service.name"] != "items" {
			t.Errorf("span %s from resource %v", s.Name, s.Resource)
		}
		byName[s.Name] = s
	}
	server, send, process := byName["POST /items/{id}"], byName["send "+prefix+".item.item.created"], byName["process item.created"]
	if server.Span == nil || send.Span == nil || process.Span == nil {
		names := []string{}
		for n := range byName {
			names = append(names, n)
		}
		t.Fatalf("missing spans; got %v", names)
	}
	if !bytes.Equal(send.TraceId, server.TraceId) || !bytes.Equal(process.TraceId, server.TraceId) ||
		!bytes.Equal(process.ParentSpanId, send.SpanId) {
		t.Fatalf("not one trace: server %x, send %x (parent %x), process %x (parent %x)",
			server.TraceId, send.TraceId, send.ParentSpanId, process.TraceId, process.ParentSpanId)
	}

	metrics := map[string]bool{}
	for _, m := range rcv.Metrics() {
		if m.Resource["service.name"] == "items" {
			metrics[m.Name] = true
		}
	}
	for _, name := range []string{telemetry.InstrumentHTTPServerDuration, telemetry.InstrumentMessagingProcessDuration,
		telemetry.InstrumentConsumerRedeliveries, telemetry.InstrumentConsumerDeadLetters, telemetry.InstrumentOutboxPending,
		telemetry.InstrumentOutboxLag, telemetry.InstrumentOutboxPublished, telemetry.InstrumentDBPoolConnections} {
		if !metrics[name] {
			t.Errorf("metric %s not exported", name)
		}
	}
	if t.Failed() {
		t.Logf("%d metrics received; service log:\n%s", len(rcv.Metrics()), r.logs)
	}

	var logged bool
	for _, l := range rcv.Logs() {
		logged = logged || (l.GetBody().GetStringValue() == "item stored" && bytes.Equal(l.TraceId, server.TraceId))
	}
	if !logged {
		t.Errorf("log record of the request not exported with its trace id (%d records)", len(rcv.Logs()))
	}
}

// TestUnreachableCollectorDoesNotFailShutdown points every signal at a
// closed port: the service serves, and its shutdown still completes every
// step and returns nil.
func TestUnreachableCollectorDoesNotFailShutdown(t *testing.T) {
	env, stream, prefix := baseEnv(t)
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:1"
	env["SHUTDOWN_TIMEOUT"] = "10s"
	r := start(t, itemsSpec(stream, prefix, nil), env)
	if code := post(t, "http://"+r.svc.HTTPAddr()+"/items/u1"); code != http.StatusCreated {
		t.Fatalf("POST = %d", code)
	}
	platformtest.Eventually(t, "item processed", func() bool { return processed(t, env["DATABASE_URL"], "u1") })
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v\n%s", err, r.logs)
	}
}
