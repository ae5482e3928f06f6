package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/jackc/pgx/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// relayMetricValues collects the relay's gauges and counter.
func relayMetricValues(t *testing.T, r *sdkmetric.ManualReader) (pending int64, lag float64, published int64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	testenv.Must(t, r.Collect(context.Background(), &rm), "collect")
	pending, lag, published = -1, -1, -1
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Gauge[int64]:
				if m.Name == MetricPending && len(data.DataPoints) == 1 {
					pending = data.DataPoints[0].Value
				}
			case metricdata.Gauge[float64]:
				if m.Name == MetricLag && len(data.DataPoints) == 1 {
					lag = data.DataPoints[0].Value
				}
			case metricdata.Sum[int64]:
				if m.Name == MetricPublished && len(data.DataPoints) == 1 {
					published = data.DataPoints[0].Value
				}
			}
		}
	}
	return pending, lag, published
}

// TestRelayMetrics checks the backlog gauges before and after a relay
// cycle and that the published counter counts new events, not duplicates.
func TestRelayMetrics(t *testing.T) {
	e := setup(t, platformtest.Direct)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	r := e.relay(t, RelayConfig{MeterProvider: mp})
	if p, lag, pub := relayMetricValues(t, reader); p != 0 || lag != 0 || pub != 0 {
		t.Fatalf("empty outbox: pending %d, lag %v, published %d", p, lag, pub)
	}
	ctx := context.Background()
	e.commit(t, func(tx pgx.Tx) error {
		return Add(ctx, tx, ev(t, "order", "o-1", "order.created", nil), ev(t, "order", "o-1", "order.paid", nil))
	})
	time.Sleep(20 * time.Millisecond)
	p, lag, _ := relayMetricValues(t, reader)
	if p != 2 || lag < 0.01 || lag > 60 {
		t.Fatalf("two waiting events: pending %d, lag %v", p, lag)
	}
	n, err := r.RelayOnce(ctx)
	testenv.Must(t, err, "relay")
	if n != 2 {
		t.Fatalf("relayed %d", n)
	}
	if p, lag, pub := relayMetricValues(t, reader); p != 0 || lag != 0 || pub != 2 {
		t.Fatalf("after relaying: pending %d, lag %v, published %d", p, lag, pub)
	}
	// The same events again (as after a crash before the delete): the
	// stream drops them as duplicates and the counter does not move.
	msgs := platformtest.ReadStream(t, e.js, e.stream)
	e.commit(t, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, created_at)
VALUES ($1, 'order', 'o-1', 'order.created', '{}', now())`, msgs[0].Header.Get("Nats-Msg-Id"))
		return err
	})
	_, err = r.RelayOnce(ctx)
	testenv.Must(t, err, "relay duplicate")
	if _, _, pub := relayMetricValues(t, reader); pub != 2 || r.Stats().Duplicates != 1 {
		t.Fatalf("after a duplicate: published %d, stats %+v", pub, r.Stats())
	}
}
