package telemetry

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidConfig is wrapped by every configuration error; the message
// names the environment variable.
var ErrInvalidConfig = errors.New("invalid telemetry config")

// Standard OpenTelemetry environment variables read by ConfigFromEnv. The
// OTLP exporters read the remaining OTEL_EXPORTER_OTLP_* variables
// (headers, timeouts, certificates, compression) from the process
// environment themselves.
const (
	EnvSDKDisabled        = "OTEL_SDK_DISABLED"
	EnvServiceName        = "OTEL_SERVICE_NAME"
	EnvResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"
	EnvEndpoint           = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvProtocol           = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesExporter     = "OTEL_TRACES_EXPORTER"
	EnvMetricsExporter    = "OTEL_METRICS_EXPORTER"
	EnvLogsExporter       = "OTEL_LOGS_EXPORTER"
	EnvMetricInterval     = "OTEL_METRIC_EXPORT_INTERVAL"
)

// Signal is one of the three OpenTelemetry signals.
type Signal string

// The signals, spelled as in the OTEL_EXPORTER_OTLP_<SIGNAL>_* variables.
const (
	Traces  Signal = "traces"
	Metrics Signal = "metrics"
	Logs    Signal = "logs"
)

// Protocols of OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"
)

// Export says where one signal goes over OTLP.
type Export struct {
	// Endpoint is the full URL the exporter sends to (for http/protobuf
	// including the /v1/<signal> path); empty means no OTLP export.
	Endpoint string
	// Protocol is ProtocolGRPC or ProtocolHTTP.
	Protocol string
}

// Config configures telemetry. The zero value of every field but
// ServiceName means the documented default.
type Config struct {
	// ServiceName is the service.name resource attribute.
	ServiceName string
	// ServiceVersion is the service.version resource attribute (default:
	// the main module's version from the build info).
	ServiceVersion string
	// Attributes are extra resource attributes (OTEL_RESOURCE_ATTRIBUTES).
	Attributes map[string]string
	// Disabled turns OTLP export and span recording off
	// (OTEL_SDK_DISABLED=true); the Prometheus handler keeps working.
	Disabled bool
	// Traces, Metrics and Logs say where each signal is exported; an
	// empty Endpoint means not at all.
	Traces, Metrics, Logs Export
	// MetricInterval is the OTLP metric export interval
	// (OTEL_METRIC_EXPORT_INTERVAL in milliseconds, default 60s).
	MetricInterval time.Duration
	// LogOutput receives the JSON log lines (default os.Stdout).
	LogOutput io.Writer
	// LogLevel is the lowest level logged (default info).
	LogLevel slog.Level
}

// ConfigFromEnv reads the standard OTEL_* variables through lookup
// (os.LookupEnv in main) into a Config for service. OTEL_SERVICE_NAME,
// when set, overrides service. A bad value is an error wrapping
// ErrInvalidConfig that names the variable.
func ConfigFromEnv(service string, lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	bad := func(name, v, why string) error {
		return fmt.Errorf("%w: %s=%q: %s", ErrInvalidConfig, name, v, why)
	}
	c := Config{ServiceName: service}
	if v := get(EnvServiceName); v != "" {
		c.ServiceName = v
	}
	if v := get(EnvSDKDisabled); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, bad(EnvSDKDisabled, v, "not a boolean")
		}
		c.Disabled = b
	}
	attrs, err := parseAttributes(get(EnvResourceAttributes))
	if err != nil {
		return Config{}, bad(EnvResourceAttributes, get(EnvResourceAttributes), err.Error())
	}
	c.Attributes = attrs
	if v := get(EnvMetricInterval); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 {
			return Config{}, bad(EnvMetricInterval, v, "not a positive number of milliseconds")
		}
		c.MetricInterval = time.Duration(ms) * time.Millisecond
	}
	for _, s := range []struct {
		sig      Signal
		exporter string
		dst      *Export
	}{{Traces, EnvTracesExporter, &c.Traces}, {Metrics, EnvMetricsExporter, &c.Metrics}, {Logs, EnvLogsExporter, &c.Logs}} {
		e, err := exportFromEnv(s.sig, s.exporter, get)
		if err != nil {
			return Config{}, err
		}
		*s.dst = e
	}
	if c.Disabled {
		c.Traces, c.Metrics, c.Logs = Export{}, Export{}, Export{}
	}
	return c, nil
}

// exportFromEnv reads OTEL_<SIGNAL>S_EXPORTER and the generic and
// signal-specific OTLP endpoint and protocol variables.
func exportFromEnv(sig Signal, exporterVar string, get func(string) string) (Export, error) {
	bad := func(name, v, why string) error {
		return fmt.Errorf("%w: %s=%q: %s", ErrInvalidConfig, name, v, why)
	}
	switch v := get(exporterVar); v {
	case "", "otlp":
	case "none":
		return Export{}, nil
	case "prometheus":
		if sig == Metrics {
			// Scraping is always on; no OTLP push.
			return Export{}, nil
		}
		return Export{}, bad(exporterVar, v, "want otlp or none")
	default:
		want := "want otlp or none"
		if sig == Metrics {
			want = "want otlp, prometheus or none"
		}
		return Export{}, bad(exporterVar, v, want)
	}
	upper := strings.ToUpper(string(sig))
	protoVar := "OTEL_EXPORTER_OTLP_" + upper + "_PROTOCOL"
	proto := get(protoVar)
	if proto == "" {
		protoVar, proto = EnvProtocol, get(EnvProtocol)
	}
	switch proto {
	case "":
		proto = ProtocolGRPC
	case ProtocolGRPC, ProtocolHTTP:
	default:
		return Export{}, bad(protoVar, proto, "want grpc or http/protobuf")
	}
	endVar := "OTEL_EXPORTER_OTLP_" + upper + "_ENDPOINT"
	endpoint := get(endVar)
	signalSpecific := endpoint != ""
	if !signalSpecific {
		endVar, endpoint = EnvEndpoint, get(EnvEndpoint)
	}
	if endpoint == "" {
		return Export{}, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Export{}, bad(endVar, endpoint, "want a URL such as http://collector:4317")
	}
	if proto == ProtocolHTTP && !signalSpecific {
		// The generic endpoint is a base URL; the signal's path is
		// appended (OTLP exporter specification).
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/" + string(sig)
	}
	return Export{Endpoint: u.String(), Protocol: proto}, nil
}

// parseAttributes parses OTEL_RESOURCE_ATTRIBUTES: key=value pairs
// separated by commas, values percent-encoded.
func parseAttributes(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not key=value", pair)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("value of %s: %v", k, err)
		}
		out[k] = dv
	}
	return out, nil
}
