// Package otlpsink is a small OpenTelemetry collector for tests and local
// runs: a gRPC server speaking the real OTLP protocol (trace, metrics and
// logs services) that keeps the spans it receives in memory, with their
// resource's service.name, so a test can look at one trace across
// processes.
package otlpsink

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/grpc"
)

// Span is one received span.
type Span struct {
	TraceID  string
	SpanID   string
	ParentID string
	Name     string
	// Service is the service.name of the span's resource.
	Service string
	Kind    string
	Start   time.Time
	End     time.Time
	// Links are the trace ids the span links to.
	Links []string
	Attrs map[string]string
}

// Receiver is a running OTLP/gRPC endpoint.
type Receiver struct {
	srv *grpc.Server
	ln  net.Listener

	mu      sync.Mutex
	spans   []Span
	metrics map[string]int // service.name -> metric export requests
	logs    map[string]int // service.name -> log records
}

// Start listens on a free port of host and serves until Close.
func Start(host string) (*Receiver, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("otlp receiver: %w", err)
	}
	r := &Receiver{srv: grpc.NewServer(), ln: ln, metrics: map[string]int{}, logs: map[string]int{}}
	coltrace.RegisterTraceServiceServer(r.srv, traceService{r: r})
	colmetrics.RegisterMetricsServiceServer(r.srv, metricsService{r: r})
	collogs.RegisterLogsServiceServer(r.srv, logsService{r: r})
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Endpoint is the value for OTEL_EXPORTER_OTLP_ENDPOINT (grpc protocol).
func (r *Receiver) Endpoint() string { return "http://" + r.ln.Addr().String() }

// Close stops the server.
func (r *Receiver) Close() { r.srv.Stop() }

// Spans returns every span received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Trace returns the spans of one trace, oldest first.
func (r *Receiver) Trace(traceID string) []Span {
	var out []Span
	for _, s := range r.Spans() {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// Services returns the service names of the spans of one trace.
func (r *Receiver) Services(traceID string) map[string]int {
	m := map[string]int{}
	for _, s := range r.Trace(traceID) {
		m[s.Service]++
	}
	return m
}

// MetricExports returns how many metric export requests each service sent.
func (r *Receiver) MetricExports() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]int{}
	for k, v := range r.metrics {
		m[k] = v
	}
	return m
}

func serviceName(res *resourcepb.Resource) string {
	for _, kv := range res.GetAttributes() {
		if kv.GetKey() == "service.name" {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

func attrString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	default:
		return v.String()
	}
}

type traceService struct {
	coltrace.UnimplementedTraceServiceServer
	r *Receiver
}

func (t traceService) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	var got []Span
	for _, rs := range req.GetResourceSpans() {
		svc := serviceName(rs.GetResource())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				s := Span{
					TraceID: hex.EncodeToString(sp.GetTraceId()), SpanID: hex.EncodeToString(sp.GetSpanId()),
					ParentID: hex.EncodeToString(sp.GetParentSpanId()), Name: sp.GetName(), Service: svc,
					Kind:  sp.GetKind().String(),
					Start: time.Unix(0, int64(sp.GetStartTimeUnixNano())), End: time.Unix(0, int64(sp.GetEndTimeUnixNano())),
					Attrs: map[string]string{},
				}
				for _, l := range sp.GetLinks() {
					s.Links = append(s.Links, hex.EncodeToString(l.GetTraceId()))
				}
				for _, kv := range sp.GetAttributes() {
					s.Attrs[kv.GetKey()] = attrString(kv.GetValue())
				}
				got = append(got, s)
			}
		}
	}
	t.r.mu.Lock()
	t.r.spans = append(t.r.spans, got...)
	t.r.mu.Unlock()
	return &coltrace.ExportTraceServiceResponse{}, nil
}

type metricsService struct {
	colmetrics.UnimplementedMetricsServiceServer
	r *Receiver
}

func (m metricsService) Export(_ context.Context, req *colmetrics.ExportMetricsServiceRequest) (*colmetrics.ExportMetricsServiceResponse, error) {
	m.r.mu.Lock()
	defer m.r.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		m.r.metrics[serviceName(rm.GetResource())]++
	}
	return &colmetrics.ExportMetricsServiceResponse{}, nil
}

type logsService struct {
	collogs.UnimplementedLogsServiceServer
	r *Receiver
}

func (l logsService) Export(_ context.Context, req *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	l.r.mu.Lock()
	defer l.r.mu.Unlock()
	for _, rl := range req.GetResourceLogs() {
		n := 0
		for _, sl := range rl.GetScopeLogs() {
			n += len(sl.GetLogRecords())
		}
		l.r.logs[serviceName(rl.GetResource())] += n
	}
	return &collogs.ExportLogsServiceResponse{}, nil
}
