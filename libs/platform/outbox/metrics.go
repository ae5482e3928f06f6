package outbox

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Instrument names of the relay metrics (Prometheus: centuria_outbox_pending,
// centuria_outbox_lag_seconds, centuria_outbox_published_total).
const (
	MetricPending   = "centuria.outbox.pending"
	MetricLag       = "centuria.outbox.lag"
	MetricPublished = "centuria.outbox.published"
)

// relayMetrics holds a relay's instruments. The gauges are observed at
// collection time with one query on the outbox table.
type relayMetrics struct {
	published metric.Int64Counter
}

func newRelayMetrics(mp metric.MeterProvider, db DB) (*relayMetrics, error) {
	m := mp.Meter("github.com/centuria/centuria/libs/platform/outbox")
	published, err := m.Int64Counter(MetricPublished, metric.WithUnit("{event}"),
		metric.WithDescription("Events the relay stored in the stream (duplicates not counted)."))
	if err != nil {
		return nil, err
	}
	pending, err := m.Int64ObservableGauge(MetricPending, metric.WithUnit("{event}"),
		metric.WithDescription("Committed events not yet relayed."))
	if err != nil {
		return nil, err
	}
	lag, err := m.Float64ObservableGauge(MetricLag, metric.WithUnit("s"),
		metric.WithDescription("Age of the oldest event not yet relayed; 0 when the outbox is empty."))
	if err != nil {
		return nil, err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		n, age, err := Backlog(ctx, db)
		if err != nil {
			// No point this time. Returning the error would fail the whole
			// collection, as it does at the final flush after the pool
			// closed; the relay itself logs a database that does not answer.
			return nil
		}
		o.ObserveInt64(pending, n)
		o.ObserveFloat64(lag, age.Seconds())
		return nil
	}, pending, lag)
	if err != nil {
		return nil, err
	}
	published.Add(context.Background(), 0) // the series exists from the start
	return &relayMetrics{published: published}, nil
}

// Backlog returns how many committed events wait in the outbox and the age
// of the oldest (0 when none), measured by the database clock, within 2
// seconds when ctx has no deadline.
func Backlog(ctx context.Context, db DB) (pending int64, lag time.Duration, err error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
	}
	var secs float64
	err = db.QueryRow(ctx, `SELECT (SELECT count(*) FROM outbox_events),
	coalesce((SELECT extract(epoch FROM now() - created_at) FROM outbox_events ORDER BY seq LIMIT 1), 0)::float8`).Scan(&pending, &secs)
	if err != nil {
		return 0, 0, err
	}
	return pending, time.Duration(max(secs, 0) * float64(time.Second)), nil
}
