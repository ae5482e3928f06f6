package proxy

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus collectors. They outlive
// configuration reloads; routes bind their label values when a table is
// built.
type Metrics struct {
	Requests     *prometheus.CounterVec
	Latency      *prometheus.HistogramVec
	UpstreamErrs *prometheus.CounterVec
	RateLimited  *prometheus.CounterVec
	Rejected     *prometheus.CounterVec
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_requests_total", Help: "Requests by route and status class.",
		}, []string{"route", "code"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gateway_request_duration_seconds", Help: "Request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		UpstreamErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_errors_total", Help: "Failed upstream exchanges by route.",
		}, []string{"route"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_rate_limited_total", Help: "Requests answered 429 by route.",
		}, []string{"route"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_rejected_total", Help: "Requests rejected before routing, by reason.",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.Requests, m.Latency, m.UpstreamErrs, m.RateLimited, m.Rejected)
	return m
}

// routeMetrics are one route's bound collectors, so the hot path does no
// label lookups.
type routeMetrics struct {
	byClass     [6]prometheus.Counter // index status/100
	latency     prometheus.Observer
	upstreamErr prometheus.Counter
	limited     prometheus.Counter
}

func (m *Metrics) bind(route string) routeMetrics {
	var rm routeMetrics
	for i, c := range []string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"} {
		rm.byClass[i] = m.Requests.WithLabelValues(route, c)
	}
	rm.latency = m.Latency.WithLabelValues(route)
	rm.upstreamErr = m.UpstreamErrs.WithLabelValues(route)
	rm.limited = m.RateLimited.WithLabelValues(route)
	return rm
}

func (rm *routeMetrics) observe(status int, seconds float64) {
	c := status / 100
	if c < 1 || c > 5 {
		c = 0
	}
	rm.byClass[c].Inc()
	rm.latency.Observe(seconds)
}
