// Package telemetrytest provides an in-process OTLP receiver for tests: a
// gRPC server implementing the collector's TraceService, MetricsService and
// LogsService, and an HTTP server accepting the same requests as
// http/protobuf on /v1/traces, /v1/metrics and /v1/logs. It keeps every
// span, metric and log record with its resource's attributes; spans also
// carry their hex trace, span and parent ids and service.name, so a test can
// follow one trace across processes (Receiver.Trace).
package telemetrytest

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Receiver records every OTLP export it receives.
type Receiver struct {
	grpcAddr, httpAddr string

	mu      sync.Mutex
	spans   []Span
	metrics []Metric
	logs    []Log
}

// Span is a received span with its resource's attributes. The embedded
// protobuf span holds everything sent; the other fields are decoded from it
// for comparing across processes.
type Span struct {
	Resource map[string]string
	*tracepb.Span

	// TraceID, SpanID and ParentSpanID are the hex ids, as
	// trace.TraceID.String and trace.SpanID.String render them;
	// ParentSpanID is empty for a root span.
	TraceID, SpanID, ParentSpanID string
	// Service is the service.name of the span's resource.
	Service string
	// Attrs are the span's attributes, rendered by Value.
	Attrs map[string]string
}

// Metric is a received metric with its resource's attributes.
type Metric struct {
	Resource map[string]string
	*metricspb.Metric
}

// Log is a received log record with its resource's attributes.
type Log struct {
	Resource map[string]string
	*logspb.LogRecord
}

// NewReceiver starts both servers on loopback ports and stops them when the
// test ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{}
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("OTLP gRPC listener: %v", err)
	}
	gs := grpc.NewServer()
	coltrace.RegisterTraceServiceServer(gs, traceService{r: r})
	colmetrics.RegisterMetricsServiceServer(gs, metricsService{r: r})
	collogs.RegisterLogsServiceServer(gs, logsService{r: r})
	go gs.Serve(gl)
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("OTLP HTTP listener: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", httpHandler(func() proto.Message { return &coltrace.ExportTraceServiceRequest{} },
		func(m proto.Message) { r.addTraces(m.(*coltrace.ExportTraceServiceRequest)) }, &coltrace.ExportTraceServiceResponse{}))
	mux.HandleFunc("POST /v1/metrics", httpHandler(func() proto.Message { return &colmetrics.ExportMetricsServiceRequest{} },
		func(m proto.Message) { r.addMetrics(m.(*colmetrics.ExportMetricsServiceRequest)) }, &colmetrics.ExportMetricsServiceResponse{}))
	mux.HandleFunc("POST /v1/logs", httpHandler(func() proto.Message { return &collogs.ExportLogsServiceRequest{} },
		func(m proto.Message) { r.addLogs(m.(*collogs.ExportLogsServiceRequest)) }, &collogs.ExportLogsServiceResponse{}))
	hs := &http.Server{Handler: mux}
	go hs.Serve(hl)
	r.grpcAddr, r.httpAddr = gl.Addr().String(), hl.Addr().String()
	t.Cleanup(func() {
		gs.Stop()
		hs.Close()
	})
	return r
}

// GRPCEndpoint is the URL of the gRPC receiver, for
// OTEL_EXPORTER_OTLP_ENDPOINT with protocol grpc.
func (r *Receiver) GRPCEndpoint() string { return "http://" + r.grpcAddr }

// HTTPEndpoint is the base URL of the HTTP receiver, for
// OTEL_EXPORTER_OTLP_ENDPOINT with protocol http/protobuf.
func (r *Receiver) HTTPEndpoint() string { return "http://" + r.httpAddr }

// Spans returns the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Trace returns the received spans of one trace (its hex id), ordered by
// start time.
func (r *Receiver) Trace(traceID string) []Span {
	var out []Span
	for _, s := range r.Spans() {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].GetStartTimeUnixNano() < out[j].GetStartTimeUnixNano() })
	return out
}

// Metrics returns the metrics received so far (one entry per metric per
// export).
func (r *Receiver) Metrics() []Metric {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Metric(nil), r.metrics...)
}

// Logs returns the log records received so far.
func (r *Receiver) Logs() []Log {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Log(nil), r.logs...)
}

func attrs(res *resourcepb.Resource) map[string]string {
	out := map[string]string{}
	for _, kv := range res.GetAttributes() {
		out[kv.GetKey()] = Value(kv.GetValue())
	}
	return out
}

// Value renders an attribute value as a string: strings as they are,
// numbers and booleans as fmt prints them, anything else in protobuf text
// form.
func Value(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	default:
		return v.String()
	}
}

func (r *Receiver) addTraces(req *coltrace.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		res := attrs(rs.GetResource())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, newSpan(res, s))
			}
		}
	}
}

func newSpan(res map[string]string, s *tracepb.Span) Span {
	out := Span{Resource: res, Span: s, Service: res["service.name"],
		TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
		Attrs: map[string]string{}}
	if p := s.GetParentSpanId(); len(p) > 0 && slices.ContainsFunc(p, func(b byte) bool { return b != 0 }) {
		out.ParentSpanID = hex.EncodeToString(p)
	}
	for _, kv := range s.GetAttributes() {
		out.Attrs[kv.GetKey()] = Value(kv.GetValue())
	}
	return out
}

func (r *Receiver) addMetrics(req *colmetrics.ExportMetricsServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		res := attrs(rm.GetResource())
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				r.metrics = append(r.metrics, Metric{res, m})
			}
		}
	}
}

func (r *Receiver) addLogs(req *collogs.ExportLogsServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rl := range req.GetResourceLogs() {
		res := attrs(rl.GetResource())
		for _, sl := range rl.GetScopeLogs() {
			for _, l := range sl.GetLogRecords() {
				r.logs = append(r.logs, Log{res, l})
			}
		}
	}
}

type traceService struct {
	coltrace.UnimplementedTraceServiceServer
	r *Receiver
}

func (s traceService) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	s.r.addTraces(req)
	return &coltrace.ExportTraceServiceResponse{}, nil
}

type metricsService struct {
	colmetrics.UnimplementedMetricsServiceServer
	r *Receiver
}

func (s metricsService) Export(_ context.Context, req *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	s.r.addMetrics(req)
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}

type logsService struct {
	collogs.UnimplementedLogsServiceServer
	r *Receiver
}

func (s logsService) Export(_ context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	s.r.addLogs(req)
	return &collogs.ExportLogsServiceResponse{}, nil
}

// ReadExport reads the body of an OTLP/HTTP export request: a protobuf
// POST, possibly gzip-compressed. On failure it returns the HTTP status to
// answer with.
func ReadExport(req *http.Request) ([]byte, int, error) {
	if req.Method != http.MethodPost {
		return nil, http.StatusMethodNotAllowed, fmt.Errorf("method %s: want POST", req.Method)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("content-type %q: want application/x-protobuf", ct)
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			return nil, http.StatusBadRequest, err
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	return b, http.StatusOK, nil
}

// httpHandler decodes an OTLP/HTTP export request and answers with an
// empty protobuf response.
func httpHandler(newReq func() proto.Message, add func(proto.Message), resp proto.Message) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		b, status, err := ReadExport(req)
		if err != nil {
			http.Error(w, err.Error(), status)
			return
		}
		m := newReq()
		if err := proto.Unmarshal(b, m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		add(m)
		out, _ := proto.Marshal(resp)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}
}
