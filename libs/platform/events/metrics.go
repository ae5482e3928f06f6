package events

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Outcomes of a processed message, the outcome attribute of
// messaging.process.duration.
const (
	OutcomeAck        = "ack"
	OutcomeRetry      = "retry"
	OutcomeDeadLetter = "dead_letter"
)

// Instrument names of the consumer metrics (Prometheus:
// messaging_process_duration_seconds, centuria_consumer_redeliveries_total,
// centuria_consumer_dead_letters_total).
const (
	MetricProcessDuration = "messaging.process.duration"
	MetricRedeliveries    = "centuria.consumer.redeliveries"
	MetricDeadLetters     = "centuria.consumer.dead_letters"
)

// consumerMetrics records one subscriber's metrics.
type consumerMetrics struct {
	duration     metric.Float64Histogram
	redeliveries metric.Int64Counter
	deadLetters  metric.Int64Counter
	byOutcome    map[string]metric.MeasurementOption
	consumer     metric.MeasurementOption
}

func newConsumerMetrics(mp metric.MeterProvider, stream, durable string) (*consumerMetrics, error) {
	m := mp.Meter("github.com/centuria/centuria/libs/platform/events")
	var cm consumerMetrics
	var err error
	cm.duration, err = m.Float64Histogram(MetricProcessDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of processing a message, by outcome (ack, retry, dead_letter)."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	if err != nil {
		return nil, err
	}
	cm.redeliveries, err = m.Int64Counter(MetricRedeliveries, metric.WithUnit("{message}"),
		metric.WithDescription("Deliveries of a message after its first."))
	if err != nil {
		return nil, err
	}
	cm.deadLetters, err = m.Int64Counter(MetricDeadLetters, metric.WithUnit("{message}"),
		metric.WithDescription("Messages copied to the dead-letter stream."))
	if err != nil {
		return nil, err
	}
	cm.byOutcome = map[string]metric.MeasurementOption{}
	for _, o := range []string{OutcomeAck, OutcomeRetry, OutcomeDeadLetter} {
		cm.byOutcome[o] = metric.WithAttributeSet(attribute.NewSet(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", stream),
			attribute.String("messaging.consumer.group.name", durable),
			attribute.String("outcome", o)))
	}
	cm.consumer = metric.WithAttributeSet(attribute.NewSet(attribute.String("stream", stream), attribute.String("consumer", durable)))
	// Start the counters at 0 so that rates and alerts see the series
	// before the first redelivery or dead letter.
	cm.redeliveries.Add(context.Background(), 0, cm.consumer)
	cm.deadLetters.Add(context.Background(), 0, cm.consumer)
	return &cm, nil
}

func (cm *consumerMetrics) processed(ctx context.Context, start time.Time, outcome string) {
	cm.duration.Record(ctx, time.Since(start).Seconds(), cm.byOutcome[outcome])
	if outcome == OutcomeDeadLetter {
		cm.deadLetters.Add(ctx, 1, cm.consumer)
	}
}

func (cm *consumerMetrics) redelivered(ctx context.Context) {
	cm.redeliveries.Add(ctx, 1, cm.consumer)
}
