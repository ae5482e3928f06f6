// Package observability holds Centuria's observability deployment: the
// OpenTelemetry Collector configuration (otelcol/config.yaml) and its
// Kubernetes manifests, the local Grafana LGTM stack
// (docker-compose.yaml) and the Grafana dashboards (dashboards/*.json).
//
// The Go code reads the dashboards: DashboardMetrics lists the metric
// names their PromQL queries select, so tests can check that the services
// really emit every metric a dashboard shows.
package observability
