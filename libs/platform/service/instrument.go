package service

import (
	"context"
	"net/http"

	"github.com/centuria/centuria/libs/platform/telemetry"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instrument wraps a route's handler with a server span named
// "<method> <route>" and the http.server.request.duration histogram
// labelled with method, route and status code.
func (s *Service) instrument(h http.Handler) http.Handler {
	return otelhttp.NewHandler(h, "",
		otelhttp.WithTracerProvider(s.tel.TracerProvider()),
		otelhttp.WithMeterProvider(s.tel.MeterProvider()),
		otelhttp.WithPropagators(s.tel.Propagator()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + route(r.Pattern)
		}),
	)
}

// route is the path part of a ServeMux pattern.
func route(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '/' {
			return pattern[i:]
		}
	}
	return pattern
}

// poolMetrics registers centuria.db.pool.connections{state=idle|used|max}.
func (s *Service) poolMetrics() error {
	idle := metric.WithAttributeSet(attribute.NewSet(attribute.String("state", "idle")))
	used := metric.WithAttributeSet(attribute.NewSet(attribute.String("state", "used")))
	maxc := metric.WithAttributeSet(attribute.NewSet(attribute.String("state", "max")))
	_, err := s.meter.Int64ObservableGauge(telemetry.InstrumentDBPoolConnections,
		metric.WithDescription("Connections of the service's database pool by state."),
		metric.WithUnit("{connection}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			st := s.db.Pool.Stat()
			o.Observe(int64(st.IdleConns()), idle)
			o.Observe(int64(st.AcquiredConns()), used)
			o.Observe(int64(st.MaxConns()), maxc)
			return nil
		}))
	return err
}
