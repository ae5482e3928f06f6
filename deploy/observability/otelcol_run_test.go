package observability

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/centuria/centuria/libs/platform/telemetry/telemetrytest"
)

// backend records what a stand-in for Tempo, Mimir or Loki received.
type backend struct {
	mu      sync.Mutex
	names   []string // span names, metric names or log bodies
	paths   []string
	tenants []string
}

func (b *backend) add(path, tenant string, names ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.names = append(b.names, names...)
	b.paths = append(b.paths, path)
	b.tenants = append(b.tenants, tenant)
}

func (b *backend) snapshot() (names, paths, tenants []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.names...), append([]string(nil), b.paths...), append([]string(nil), b.tenants...)
}

// tempo is a gRPC OTLP trace server, as Tempo's distributor is.
type tempo struct {
	coltracepb.UnimplementedTraceServiceServer
	backend
}

func (s *tempo) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				s.add("grpc", "", sp.Name)
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// otlpHTTP serves POST <prefix>/v1/<signal> with protobuf bodies, as
// Mimir's and Loki's OTLP endpoints do; decode turns a body into names.
func otlpHTTP(t *testing.T, b *backend, decode func([]byte) ([]string, error)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, status, err := telemetrytest.ReadExport(r)
		if err != nil {
			http.Error(w, err.Error(), status)
			return
		}
		names, err := decode(data)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.add(r.URL.Path, r.Header.Get("X-Scope-OrgID"), names...)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func decodeMetrics(data []byte) ([]string, error) {
	var req colmetricspb.ExportMetricsServiceRequest
	if err := proto.Unmarshal(data, &req); err != nil {
		return nil, err
	}
	var names []string
	for _, rm := range req.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				names = append(names, m.Name)
			}
		}
	}
	return names, nil
}

func decodeLogs(data []byte) ([]string, error) {
	var req collogspb.ExportLogsServiceRequest
	if err := proto.Unmarshal(data, &req); err != nil {
		return nil, err
	}
	var names []string
	for _, rl := range req.ResourceLogs {
		for _, sl := range rl.ScopeLogs {
			for _, l := range sl.LogRecords {
				names = append(names, l.Body.GetStringValue())
			}
		}
	}
	return names, nil
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestCollectorForwardsEachSignal runs the collector in process with
// otelcol/config.yaml (listen addresses moved to free loopback ports, the
// backends' endpoints given through the config's variables) and checks
// that OTLP sent to it over gRPC and HTTP reaches the right backend: traces
// the gRPC Tempo, metrics Mimir's /otlp/v1/metrics, logs Loki's
// /otlp/v1/logs, each with its tenant header, and nothing else anywhere.
func TestCollectorForwardsEachSignal(t *testing.T) {
	unsetCollectorEnv(t)

	tempoSrv := &tempo{}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, tempoSrv)
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(tl) //nolint:errcheck // stopped below
	t.Cleanup(gs.Stop)
	var mimir, loki backend
	mimirSrv := otlpHTTP(t, &mimir, decodeMetrics)
	lokiSrv := otlpHTTP(t, &loki, decodeLogs)

	t.Setenv("TEMPO_OTLP_ENDPOINT", tl.Addr().String())
	t.Setenv("MIMIR_OTLP_ENDPOINT", mimirSrv.URL+"/otlp")
	t.Setenv("MIMIR_TENANT", "tenant-m")
	t.Setenv("LOKI_OTLP_ENDPOINT", lokiSrv.URL+"/otlp")
	t.Setenv("LOKI_TENANT", "tenant-l")

	grpcAddr, httpAddr, healthAddr, telemetryAddr := freePort(t), freePort(t), freePort(t), freePort(t)
	_, telemetryPort, _ := net.SplitHostPort(telemetryAddr)
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-test", Description: "test", Version: "test"},
		Factories: func() (otelcol.Factories, error) { return factories(t), nil },
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs: []string{
				"file:" + collectorConfig,
				"yaml:receivers::otlp::protocols::grpc::endpoint: " + grpcAddr,
				"yaml:receivers::otlp::protocols::http::endpoint: " + httpAddr,
				"yaml:extensions::health_check::endpoint: " + healthAddr,
				"yaml:service::telemetry::metrics::readers: [{pull: {exporter: {prometheus: {host: 127.0.0.1, port: " + telemetryPort + "}}}}]",
			},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory(), yamlprovider.NewFactory()},
			DefaultScheme:     "env",
		}},
		SkipSettingGRPCLogger: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- col.Run(ctx) }()
	defer func() {
		col.Shutdown()
		if err := <-runErr; err != nil {
			t.Errorf("collector run: %v", err)
		}
	}()
	waitRunning(t, col, runErr)

	// The health_check extension answers on its endpoint (the pods' probes)
	// and the collector's own metrics are served for scraping.
	for _, u := range []string{"http://" + healthAddr + "/", "http://" + telemetryAddr + "/metrics"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s %s", u, resp.Status, body)
		}
		if strings.HasSuffix(u, "/metrics") && !bytes.Contains(body, []byte("otelcol_")) {
			t.Errorf("GET %s: no otelcol_ metrics", u)
		}
	}

	sendOTLP(t, ctx, grpcAddr, httpAddr)

	deadline := time.Now().Add(30 * time.Second) // the batch processor flushes every 5s
	for {
		tn, _, _ := tempoSrv.snapshot()
		mn, _, _ := mimir.snapshot()
		ln, _, _ := loki.snapshot()
		if len(tn) >= 1 && len(mn) >= 1 && len(ln) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not everything arrived: tempo %v, mimir %v, loki %v", tn, mn, ln)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tn, _, _ := tempoSrv.snapshot()
	if strings.Join(tn, ",") != "POST /orders" {
		t.Errorf("tempo received spans %v, want [POST /orders]", tn)
	}
	mn, mp, mt := mimir.snapshot()
	if strings.Join(mn, ",") != "centuria.outbox.pending" {
		t.Errorf("mimir received metrics %v, want [centuria.outbox.pending]", mn)
	}
	for i := range mp {
		if mp[i] != "/otlp/v1/metrics" || mt[i] != "tenant-m" {
			t.Errorf("mimir request %d: path %s tenant %q, want /otlp/v1/metrics tenant-m", i, mp[i], mt[i])
		}
	}
	ln, lp, lt := loki.snapshot()
	if got := strings.Join(ln, ","); got != "order placed (grpc),order placed (http)" && got != "order placed (http),order placed (grpc)" {
		t.Errorf("loki received logs %v, want the gRPC and the HTTP one", ln)
	}
	for i := range lp {
		if lp[i] != "/otlp/v1/logs" || lt[i] != "tenant-l" {
			t.Errorf("loki request %d: path %s tenant %q, want /otlp/v1/logs tenant-l", i, lp[i], lt[i])
		}
	}
}

func waitRunning(t *testing.T, col *otelcol.Collector, runErr chan error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for col.GetState() != otelcol.StateRunning {
		select {
		case err := <-runErr:
			runErr <- err
			t.Fatalf("collector stopped before running: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector not running after 20s (state %v)", col.GetState())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sendOTLP sends one span, one metric and one log over gRPC and one more
// log over HTTP, as a service's SDK would.
func sendOTLP(t *testing.T, ctx context.Context, grpcAddr, httpAddr string) {
	t.Helper()
	res := &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{
		Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "orders"}},
	}}}
	now := uint64(time.Now().UnixNano())
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	_, err = coltracepb.NewTraceServiceClient(conn).Export(ctx, &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: res,
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: "POST /orders",
			Kind: tracepb.Span_SPAN_KIND_SERVER, StartTimeUnixNano: now - 1e6, EndTimeUnixNano: now,
		}}}},
	}}})
	if err != nil {
		t.Fatalf("exporting a span: %v", err)
	}
	_, err = colmetricspb.NewMetricsServiceClient(conn).Export(ctx, &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource: res,
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{{
			Name: "centuria.outbox.pending",
			Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{{
				TimeUnixNano: now, Value: &metricspb.NumberDataPoint_AsInt{AsInt: 3},
			}}}},
		}}}},
	}}})
	if err != nil {
		t.Fatalf("exporting a metric: %v", err)
	}
	logReq := func(body string) *collogspb.ExportLogsServiceRequest {
		return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
			Resource: res,
			ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{{
				TimeUnixNano: now, SeverityText: "INFO",
				Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: body}},
			}}}},
		}}}
	}
	if _, err := collogspb.NewLogsServiceClient(conn).Export(ctx, logReq("order placed (grpc)")); err != nil {
		t.Fatalf("exporting a log over gRPC: %v", err)
	}

	data, err := proto.Marshal(logReq("order placed (http)"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+httpAddr+"/v1/logs", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /v1/logs: %s %s", resp.Status, body)
	}
}
