package service

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/centuria/centuria/libs/platform/telemetry"
)

func TestConfigFromEnvDefaults(t *testing.T) {
	c, err := ConfigFromEnv("orders", lookupIn(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "orders" || c.HTTPAddr != ":8080" || c.AdminAddr != ":9090" || c.ShutdownTimeout != 20*time.Second ||
		c.NATSURL != "nats://127.0.0.1:4222" || c.HasDatabase || !c.Migrate || c.Pprof || c.LogLevel != slog.LevelInfo {
		t.Fatalf("defaults: %+v", c)
	}
	if c.Telemetry.ServiceName != "orders" || c.Telemetry.Traces.Endpoint != "" || c.Telemetry.Metrics.Endpoint != "" || c.Telemetry.Logs.Endpoint != "" {
		t.Fatalf("telemetry defaults: %+v", c.Telemetry)
	}
}

func TestConfigFromEnvReadsEverything(t *testing.T) {
	c, err := ConfigFromEnv("orders", lookupIn(map[string]string{
		"SERVICE_NAME":                        "orders-eu",
		"HTTP_ADDR":                           "127.0.0.1:8000",
		"ADMIN_ADDR":                          ":0",
		"SHUTDOWN_TIMEOUT":                    "3s",
		"SHUTDOWN_DELAY":                      "1s",
		"NATS_URL":                            "nats://a:4222,nats://b:4222",
		"DATABASE_URL":                        "postgres://u@h/db",
		"DATABASE_POOL_MAX":                   "4",
		"DATABASE_MIGRATE":                    "false",
		"ADMIN_PPROF":                         "true",
		"LOG_LEVEL":                           "DEBUG",
		"OTEL_EXPORTER_OTLP_ENDPOINT":         "http://collector:4318",
		"OTEL_EXPORTER_OTLP_PROTOCOL":         "http/protobuf",
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT":    "http://logs:4318/custom/logs",
		"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc",
		"OTEL_TRACES_EXPORTER":                "otlp",
		"OTEL_RESOURCE_ATTRIBUTES":            "deployment.environment=dev,team=a%20b",
		"OTEL_METRIC_EXPORT_INTERVAL":         "500",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "orders-eu" || c.HTTPAddr != "127.0.0.1:8000" || c.AdminAddr != ":0" || c.ShutdownTimeout != 3*time.Second || c.ShutdownDelay != time.Second ||
		c.NATSURL != "nats://a:4222,nats://b:4222" || !c.HasDatabase || c.Database.MaxConns != 4 || c.Migrate || !c.Pprof ||
		c.LogLevel != slog.LevelDebug {
		t.Fatalf("config: %+v", c)
	}
	tc := c.Telemetry
	want := telemetry.Config{
		ServiceName: "orders-eu",
		Traces:      telemetry.Export{Endpoint: "http://collector:4318/v1/traces", Protocol: "http/protobuf"},
		Metrics:     telemetry.Export{Endpoint: "http://collector:4318", Protocol: "grpc"},
		Logs:        telemetry.Export{Endpoint: "http://logs:4318/custom/logs", Protocol: "http/protobuf"},
	}
	if tc.ServiceName != want.ServiceName || tc.Traces != want.Traces || tc.Metrics != want.Metrics || tc.Logs != want.Logs ||
		tc.Attributes["team"] != "a b" || tc.Attributes["deployment.environment"] != "dev" || tc.MetricInterval != 500*time.Millisecond ||
		tc.LogLevel != slog.LevelDebug {
		t.Fatalf("telemetry: %+v", tc)
	}
}

func TestConfigFromEnvOTELSwitches(t *testing.T) {
	c, err := ConfigFromEnv("orders", lookupIn(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
		"OTEL_METRICS_EXPORTER":       "none",
		"OTEL_LOGS_EXPORTER":          "none",
		"OTEL_SERVICE_NAME":           "orders-otel",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Telemetry.Traces.Endpoint != "http://collector:4317" || c.Telemetry.Metrics.Endpoint != "" || c.Telemetry.Logs.Endpoint != "" ||
		c.Telemetry.ServiceName != "orders-otel" || c.Name != "orders" {
		t.Fatalf("%+v", c)
	}
	c, err = ConfigFromEnv("orders", lookupIn(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
		"OTEL_SDK_DISABLED":           "true",
	}))
	if err != nil || !c.Telemetry.Disabled || c.Telemetry.Traces.Endpoint != "" {
		t.Fatalf("disabled: %+v, %v", c.Telemetry, err)
	}
}

func TestConfigFromEnvErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		name string
		is   error
	}{
		{map[string]string{"HTTP_ADDR": "8080"}, "HTTP_ADDR", ErrInvalidConfig},
		{map[string]string{"ADMIN_ADDR": "h:99999"}, "ADMIN_ADDR", ErrInvalidConfig},
		{map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}, "SHUTDOWN_TIMEOUT", ErrInvalidConfig},
		{map[string]string{"SHUTDOWN_TIMEOUT": "20"}, "SHUTDOWN_TIMEOUT", ErrInvalidConfig},
		{map[string]string{"SHUTDOWN_DELAY": "-1s"}, "SHUTDOWN_DELAY", ErrInvalidConfig},
		{map[string]string{"SHUTDOWN_DELAY": "30s"}, "SHUTDOWN_DELAY", ErrInvalidConfig},
		{map[string]string{"NATS_URL": "nats://"}, "NATS_URL", ErrInvalidConfig},
		{map[string]string{"DATABASE_MIGRATE": "yes please"}, "DATABASE_MIGRATE", ErrInvalidConfig},
		{map[string]string{"ADMIN_PPROF": "2"}, "ADMIN_PPROF", ErrInvalidConfig},
		{map[string]string{"LOG_LEVEL": "trace"}, "LOG_LEVEL", ErrInvalidConfig},
		{map[string]string{"SERVICE_NAME": "Orders"}, "SERVICE_NAME", ErrInvalidConfig},
		{map[string]string{"DATABASE_URL": "postgres://h/db", "DATABASE_POOL_MAX": "x"}, "DATABASE_POOL_MAX", postgres.ErrInvalidConfig},
		{map[string]string{"DATABASE_POOL_MAX_IDLE": "forever"}, "DATABASE_POOL_MAX_IDLE", postgres.ErrInvalidConfig},
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL", telemetry.ErrInvalidConfig},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "udp"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", telemetry.ErrInvalidConfig},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"}, "OTEL_EXPORTER_OTLP_ENDPOINT", telemetry.ErrInvalidConfig},
		{map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "ftp://x"}, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", telemetry.ErrInvalidConfig},
		{map[string]string{"OTEL_LOGS_EXPORTER": "console"}, "OTEL_LOGS_EXPORTER", telemetry.ErrInvalidConfig},
		{map[string]string{"OTEL_TRACES_EXPORTER": "prometheus"}, "OTEL_TRACES_EXPORTER", telemetry.ErrInvalidConfig},
		{map[string]string{"OTEL_SDK_DISABLED": "nah"}, "OTEL_SDK_DISABLED", telemetry.ErrInvalidConfig},
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "a=1,=2"}, "OTEL_RESOURCE_ATTRIBUTES", telemetry.ErrInvalidConfig},
		{map[string]string{"OTEL_METRIC_EXPORT_INTERVAL": "0"}, "OTEL_METRIC_EXPORT_INTERVAL", telemetry.ErrInvalidConfig},
	} {
		_, err := ConfigFromEnv("orders", lookupIn(tc.env))
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%v: err = %v; want %v naming %s", tc.env, err, tc.is, tc.name)
		}
	}
	if _, err := ConfigFromEnv("Bad_Name", lookupIn(nil)); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "SERVICE_NAME") {
		t.Errorf("bad Spec.Name: %v", err)
	}
}

// FuzzConfigFromEnv feeds arbitrary values to every variable: the parser
// never panics, and every error wraps one of the config sentinels and
// names the variable it is about.
func FuzzConfigFromEnv(f *testing.F) {
	f.Add("HTTP_ADDR", ":8080")
	f.Add("SHUTDOWN_TIMEOUT", "1h")
	f.Add("OTEL_EXPORTER_OTLP_ENDPOINT", "http://[::1]:4317")
	f.Add("OTEL_RESOURCE_ATTRIBUTES", "a=%zz")
	f.Fuzz(func(t *testing.T, name, value string) {
		vars := []string{EnvServiceName, EnvHTTPAddr, EnvAdminAddr, EnvShutdownTimeout, EnvNATSURL, EnvDatabaseMigrate,
			EnvAdminPprof, EnvLogLevel, postgres.EnvURL, postgres.EnvPoolMax, postgres.EnvStatementTimeout, postgres.EnvPgBouncer,
			telemetry.EnvEndpoint, telemetry.EnvProtocol, telemetry.EnvTracesExporter, telemetry.EnvSDKDisabled,
			telemetry.EnvResourceAttributes, telemetry.EnvMetricInterval, "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"}
		known := false
		for _, v := range vars {
			known = known || v == name
		}
		if !known {
			name = vars[len(name)%len(vars)]
		}
		c, err := ConfigFromEnv("orders", lookupIn(map[string]string{name: value}))
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) && !errors.Is(err, postgres.ErrInvalidConfig) && !errors.Is(err, telemetry.ErrInvalidConfig) {
				t.Fatalf("%s=%q: error wraps no sentinel: %v", name, value, err)
			}
			if !strings.Contains(err.Error(), name) && !(name == postgres.EnvURL) {
				t.Fatalf("%s=%q: error does not name the variable: %v", name, value, err)
			}
			return
		}
		if c.Name == "" || c.HTTPAddr == "" || c.AdminAddr == "" || c.ShutdownTimeout <= 0 || c.NATSURL == "" {
			t.Fatalf("%s=%q: accepted an unusable config %+v", name, value, c)
		}
	})
}
