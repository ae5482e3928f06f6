package postgres_test

import (
	"context"
	"testing"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/postgres"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestPoolMetrics(t *testing.T) {
	reader := metric.NewManualReader()
	mp := metric.NewMeterProvider(metric.WithReader(reader))
	db := open(t, postgres.Config{URL: testenv.Postgres(t), MaxConns: 4}, postgres.WithMeterProvider(mp))
	testenv.Must(t, db.Ready(context.Background()), "ready")
	var rm metricdata.ResourceMetrics
	testenv.Must(t, reader.Collect(context.Background(), &rm), "collect")
	names := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names[m.Name] = true
		}
	}
	for _, want := range []string{"pgxpool.max_connections", "pgxpool.acquires", "pgxpool.idle_connections", "db.client.operation.duration"} {
		if !names[want] {
			t.Errorf("metric %s not exported; got %v", want, names)
		}
	}
}
