package observability

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/processor/memorylimiterprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

const collectorConfig = "otelcol/config.yaml"

// collectorEnv lists every variable the collector config reads.
var collectorEnv = []string{
	"TEMPO_OTLP_ENDPOINT", "TEMPO_OTLP_INSECURE",
	"MIMIR_OTLP_ENDPOINT", "MIMIR_TENANT",
	"LOKI_OTLP_ENDPOINT", "LOKI_TENANT",
	"OTELCOL_MEMORY_LIMIT_PERCENTAGE",
}

// factories are the real factories of the components the deployed
// collector image runs with this config.
func factories(t *testing.T) otelcol.Factories {
	t.Helper()
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		t.Fatal(err)
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](memorylimiterprocessor.NewFactory(), batchprocessor.NewFactory()); err != nil {
		t.Fatal(err)
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](otlpexporter.NewFactory(), otlphttpexporter.NewFactory()); err != nil {
		t.Fatal(err)
	}
	if f.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](healthcheckextension.NewFactory()); err != nil {
		t.Fatal(err)
	}
	f.Telemetry = otelconftelemetry.NewFactory()
	return f
}

// unsetCollectorEnv makes the test independent of the caller's
// environment: each variable is set for the test and then unset, so the
// config's defaults apply.
func unsetCollectorEnv(t *testing.T) {
	for _, k := range collectorEnv {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func TestCollectorConfigDefaults(t *testing.T) {
	unsetCollectorEnv(t)
	cfg, err := otelcoltest.LoadConfigAndValidate(collectorConfig, factories(t))
	if err != nil {
		t.Fatalf("%s: %v", collectorConfig, err)
	}

	tempo := cfg.Exporters[component.MustNewIDWithName("otlp_grpc", "tempo")].(*otlpexporter.Config)
	if got := tempo.ClientConfig.Endpoint; got != "tempo:4317" {
		t.Errorf("tempo endpoint = %q, want tempo:4317", got)
	}
	if !tempo.ClientConfig.TLS.Insecure {
		t.Error("tempo exporter: tls.insecure should default to true (in-cluster plaintext gRPC)")
	}
	mimir := cfg.Exporters[component.MustNewIDWithName("otlp_http", "mimir")].(*otlphttpexporter.Config)
	if got := mimir.ClientConfig.Endpoint; got != "http://mimir:8080/otlp" {
		t.Errorf("mimir endpoint = %q", got)
	}
	loki := cfg.Exporters[component.MustNewIDWithName("otlp_http", "loki")].(*otlphttpexporter.Config)
	if got := loki.ClientConfig.Endpoint; got != "http://loki:3100/otlp" {
		t.Errorf("loki endpoint = %q", got)
	}

	recv := cfg.Receivers[component.MustNewID("otlp")].(*otlpreceiver.Config)
	if g := recv.Protocols.GRPC.Get(); g == nil || g.NetAddr.Endpoint != "0.0.0.0:4317" {
		t.Errorf("otlp receiver gRPC = %+v, want 0.0.0.0:4317", g)
	}
	if h := recv.Protocols.HTTP.Get(); h == nil || h.ServerConfig.NetAddr.Endpoint != "0.0.0.0:4318" {
		t.Errorf("otlp receiver HTTP = %+v, want 0.0.0.0:4318", h)
	}
	ml := cfg.Processors[component.MustNewID("memory_limiter")].(*memorylimiterprocessor.Config)
	if ml.MemoryLimitPercentage != 80 {
		t.Errorf("memory_limiter limit_percentage = %d, want 80", ml.MemoryLimitPercentage)
	}

	// Each signal goes from OTLP through memory_limiter first, then batch,
	// to its own backend.
	want := map[pipeline.Signal]string{
		pipeline.SignalTraces:  "otlp_grpc/tempo",
		pipeline.SignalMetrics: "otlp_http/mimir",
		pipeline.SignalLogs:    "otlp_http/loki",
	}
	for sig, exp := range want {
		p, ok := cfg.Service.Pipelines[pipeline.NewID(sig)]
		if !ok {
			t.Errorf("no %s pipeline", sig)
			continue
		}
		if got := ids(p.Receivers); got != "otlp" {
			t.Errorf("%s receivers = %s", sig, got)
		}
		if got := ids(p.Processors); got != "memory_limiter,batch" {
			t.Errorf("%s processors = %s, want memory_limiter,batch", sig, got)
		}
		if got := ids(p.Exporters); got != exp {
			t.Errorf("%s exporters = %s, want %s", sig, got, exp)
		}
	}
}

func TestCollectorConfigEnvOverrides(t *testing.T) {
	unsetCollectorEnv(t)
	t.Setenv("TEMPO_OTLP_ENDPOINT", "tempo-distributor.tracing:4317")
	t.Setenv("TEMPO_OTLP_INSECURE", "false")
	t.Setenv("MIMIR_OTLP_ENDPOINT", "http://mimir-gateway.metrics/otlp")
	t.Setenv("MIMIR_TENANT", "centuria")
	t.Setenv("LOKI_OTLP_ENDPOINT", "http://loki-gateway.logs/otlp")
	t.Setenv("OTELCOL_MEMORY_LIMIT_PERCENTAGE", "70")
	cfg, err := otelcoltest.LoadConfigAndValidate(collectorConfig, factories(t))
	if err != nil {
		t.Fatal(err)
	}
	tempo := cfg.Exporters[component.MustNewIDWithName("otlp_grpc", "tempo")].(*otlpexporter.Config)
	if tempo.ClientConfig.Endpoint != "tempo-distributor.tracing:4317" || tempo.ClientConfig.TLS.Insecure {
		t.Errorf("tempo exporter = %q insecure=%v", tempo.ClientConfig.Endpoint, tempo.ClientConfig.TLS.Insecure)
	}
	mimir := cfg.Exporters[component.MustNewIDWithName("otlp_http", "mimir")].(*otlphttpexporter.Config)
	if mimir.ClientConfig.Endpoint != "http://mimir-gateway.metrics/otlp" {
		t.Errorf("mimir endpoint = %q", mimir.ClientConfig.Endpoint)
	}
	if got, _ := mimir.ClientConfig.Headers.Get("X-Scope-OrgID"); got != "centuria" {
		t.Errorf("mimir X-Scope-OrgID = %q, want centuria", string(got))
	}
	loki := cfg.Exporters[component.MustNewIDWithName("otlp_http", "loki")].(*otlphttpexporter.Config)
	if loki.ClientConfig.Endpoint != "http://loki-gateway.logs/otlp" {
		t.Errorf("loki endpoint = %q", loki.ClientConfig.Endpoint)
	}
	ml := cfg.Processors[component.MustNewID("memory_limiter")].(*memorylimiterprocessor.Config)
	if ml.MemoryLimitPercentage != 70 {
		t.Errorf("memory_limiter limit_percentage = %d, want 70", ml.MemoryLimitPercentage)
	}
}

// TestCollectorConfigRejectsBrokenConfigs edits the real config in ways a
// typo would and checks that the collector's loader refuses each one with
// an error naming the problem.
func TestCollectorConfigRejectsBrokenConfigs(t *testing.T) {
	unsetCollectorEnv(t)
	base, err := os.ReadFile(collectorConfig)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new, wantErr string
	}{
		{"unknown exporter type", "  otlp_http/loki:\n", "  lokiexporter/loki:\n", "lokiexporter"},
		{"unknown key", "    send_batch_size: 8192\n", "    send_batch_sise: 8192\n", "send_batch_sise"},
		{"pipeline names an undefined exporter", "exporters: [otlp_http/loki]", "exporters: [otlp_http/lokii]", "otlp_http/lokii"},
		{"bad value", "limit_percentage: ${env:OTELCOL_MEMORY_LIMIT_PERCENTAGE:-80}", "limit_percentage: lots", "limit_percentage"},
		{"empty endpoint", "endpoint: ${env:TEMPO_OTLP_ENDPOINT:-tempo:4317}", "endpoint: \"\"", "endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(base), c.old) {
				t.Fatalf("%s no longer contains %q: update the test", collectorConfig, c.old)
			}
			broken := strings.Replace(string(base), c.old, c.new, 1)
			file := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := otelcoltest.LoadConfigAndValidate(file, factories(t))
			if err == nil {
				t.Fatal("broken config accepted")
			}
			if !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %q does not mention %q", err, c.wantErr)
			}
		})
	}
}

func ids[T interface{ String() string }](list []T) string {
	s := make([]string, len(list))
	for i, id := range list {
		s[i] = id.String()
	}
	return strings.Join(s, ",")
}
