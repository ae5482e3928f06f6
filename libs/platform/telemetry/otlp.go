package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The exporters get the endpoint explicitly (an http:// URL means no TLS)
// and read headers, timeouts, certificates and compression from the
// OTEL_EXPORTER_OTLP_* variables of the process environment.

func newTraceExporter(ctx context.Context, e Export) (sdktrace.SpanExporter, error) {
	var exp sdktrace.SpanExporter
	var err error
	if e.Protocol == ProtocolHTTP {
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(e.Endpoint))
	} else {
		exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(e.Endpoint))
	}
	if err != nil {
		return nil, fmt.Errorf("creating OTLP trace exporter for %s: %w", e.Endpoint, err)
	}
	return exp, nil
}

func newMetricExporter(ctx context.Context, e Export) (sdkmetric.Exporter, error) {
	var exp sdkmetric.Exporter
	var err error
	if e.Protocol == ProtocolHTTP {
		exp, err = otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(e.Endpoint))
	} else {
		exp, err = otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpointURL(e.Endpoint))
	}
	if err != nil {
		return nil, fmt.Errorf("creating OTLP metric exporter for %s: %w", e.Endpoint, err)
	}
	return exp, nil
}

func newLogExporter(ctx context.Context, e Export) (sdklog.Exporter, error) {
	var exp sdklog.Exporter
	var err error
	if e.Protocol == ProtocolHTTP {
		exp, err = otlploghttp.New(ctx, otlploghttp.WithEndpointURL(e.Endpoint))
	} else {
		exp, err = otlploggrpc.New(ctx, otlploggrpc.WithEndpointURL(e.Endpoint))
	}
	if err != nil {
		return nil, fmt.Errorf("creating OTLP log exporter for %s: %w", e.Endpoint, err)
	}
	return exp, nil
}
