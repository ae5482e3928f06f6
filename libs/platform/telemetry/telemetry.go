// Package telemetry sets up a service's OpenTelemetry traces, metrics and
// logs from the standard OTEL_* environment variables: OTLP export over gRPC
// or http/protobuf when an endpoint is set, a Prometheus scrape handler
// always, Go runtime metrics, and slog JSON logs on stdout that carry the
// trace_id and span_id of the context and, when logs are exported, go to
// OTLP too through the otelslog bridge.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/bridges/otelslog"
	otelruntime "go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/log/global"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Telemetry holds a service's providers. Create it with New and call
// Shutdown last, after everything that records telemetry has stopped.
type Telemetry struct {
	cfg        Config
	tp         trace.TracerProvider
	mp         *sdkmetric.MeterProvider
	lp         *sdklog.LoggerProvider
	logger     *slog.Logger
	prom       http.Handler
	propagator propagation.TextMapPropagator
	shutdown   []func(context.Context) error
}

// New builds the providers described by cfg. It connects nothing yet: OTLP
// exporters dial lazily, so a missing collector never stops a service.
// Errors wrap ErrInvalidConfig for a bad config.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	if cfg.ServiceName == "" {
		return nil, fmt.Errorf("%w: ServiceName is empty", ErrInvalidConfig)
	}
	if cfg.LogOutput == nil {
		cfg.LogOutput = os.Stdout
	}
	if cfg.ServiceVersion == "" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			cfg.ServiceVersion = bi.Main.Version
		}
	}
	if cfg.MetricInterval == 0 {
		cfg.MetricInterval = time.Minute
	}
	t := &Telemetry{
		cfg:        cfg,
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	ok := false
	defer func() {
		if !ok {
			t.Shutdown(context.WithoutCancel(ctx))
		}
	}()
	res := t.resource()

	// Traces: spans are recorded even without an exporter so that logs
	// carry trace ids and outgoing messages carry the trace context.
	if cfg.Disabled {
		t.tp = tracenoop.NewTracerProvider()
	} else {
		opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
		if cfg.Traces.Endpoint != "" {
			exp, err := newTraceExporter(ctx, cfg.Traces)
			if err != nil {
				return nil, err
			}
			opts = append(opts, sdktrace.WithBatcher(exp))
		}
		tp := sdktrace.NewTracerProvider(opts...)
		t.tp = tp
		t.shutdown = append(t.shutdown, tp.Shutdown)
	}

	// Metrics: the Prometheus reader always, an OTLP periodic reader when
	// an endpoint is set.
	reg := prometheus.NewRegistry()
	promExp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("creating Prometheus exporter: %w", err)
	}
	t.prom = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(promExp)}
	if cfg.Metrics.Endpoint != "" {
		exp, err := newMetricExporter(ctx, cfg.Metrics)
		if err != nil {
			return nil, err
		}
		mopts = append(mopts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(cfg.MetricInterval))))
	}
	t.mp = sdkmetric.NewMeterProvider(mopts...)
	t.shutdown = append(t.shutdown, t.mp.Shutdown)
	if !cfg.Disabled {
		if err := otelruntime.Start(otelruntime.WithMeterProvider(t.mp)); err != nil {
			return nil, fmt.Errorf("starting runtime metrics: %w", err)
		}
	}

	// Logs: JSON on LogOutput, and OTLP through the slog bridge.
	var handler slog.Handler = NewJSONHandler(cfg.LogOutput, cfg.LogLevel)
	if cfg.Logs.Endpoint != "" {
		exp, err := newLogExporter(ctx, cfg.Logs)
		if err != nil {
			return nil, err
		}
		t.lp = sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
		t.shutdown = append(t.shutdown, t.lp.Shutdown)
		otlp := otelslog.NewHandler(cfg.ServiceName, otelslog.WithLoggerProvider(t.lp))
		handler = levelHandler{min: cfg.LogLevel, Handler: slog.NewMultiHandler(handler, otlp)}
	}
	t.logger = slog.New(handler)
	ok = true
	return t, nil
}

// resource describes the service: service.name and version, the SDK, the
// host and process, and the configured attributes.
func (t *Telemetry) resource() *resource.Resource {
	attrs := []attribute.KeyValue{}
	for k, v := range t.cfg.Attributes {
		attrs = append(attrs, attribute.String(k, v))
	}
	// service.name wins over the same key in OTEL_RESOURCE_ATTRIBUTES, as
	// OTEL_SERVICE_NAME does in the SDK.
	attrs = append(attrs, semconv.ServiceName(t.cfg.ServiceName))
	if t.cfg.ServiceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(t.cfg.ServiceVersion))
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
	if err != nil {
		// Only a schema URL conflict fails here; keep our attributes.
		return resource.NewSchemaless(attrs...)
	}
	return res
}

// Config returns the configuration in use, defaults applied.
func (t *Telemetry) Config() Config { return t.cfg }

// TracerProvider returns the service's tracer provider.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tp }

// MeterProvider returns the service's meter provider; its metrics are
// served by MetricsHandler and exported over OTLP when configured.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.mp }

// Propagator returns the W3C trace-context and baggage propagator.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.propagator }

// Logger returns the service's logger.
func (t *Telemetry) Logger() *slog.Logger { return t.logger }

// MetricsHandler serves the service's metrics in the Prometheus text
// format.
func (t *Telemetry) MetricsHandler() http.Handler { return t.prom }

// SetGlobal installs the providers and the propagator as the OpenTelemetry
// globals and the logger as slog's default, for libraries that use them.
func (t *Telemetry) SetGlobal() {
	otel.SetTracerProvider(t.tp)
	otel.SetMeterProvider(t.mp)
	otel.SetTextMapPropagator(t.propagator)
	if t.lp != nil {
		global.SetLoggerProvider(t.lp)
	}
	slog.SetDefault(t.logger)
}

// ForceFlush exports the spans, metrics and log records recorded so far,
// within ctx. Observable instruments are read once more, so calling it
// before closing the resources they read (a database pool) puts their last
// values in the export.
func (t *Telemetry) ForceFlush(ctx context.Context) error {
	var errs []error
	if tp, ok := t.tp.(*sdktrace.TracerProvider); ok {
		errs = append(errs, tp.ForceFlush(ctx))
	}
	if t.cfg.Metrics.Endpoint != "" {
		errs = append(errs, t.mp.ForceFlush(ctx))
	}
	if t.lp != nil {
		errs = append(errs, t.lp.ForceFlush(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("flushing telemetry: %w", err)
	}
	return nil
}

// Shutdown flushes and stops the providers, within ctx. Call it once, last.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(t.shutdown) - 1; i >= 0; i-- {
		if err := t.shutdown[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	t.shutdown = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("flushing telemetry: %w", err)
	}
	return nil
}
