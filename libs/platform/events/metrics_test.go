package events_test

import (
	"context"
	"errors"
	"testing"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestConsumerMetrics sends one event that succeeds, one that fails once
// and then succeeds, and one that is dead-lettered at once, and checks the
// process duration histogram by outcome and the redelivery and dead-letter
// counters.
func TestConsumerMetrics(t *testing.T) {
	e := setup(t, platformtest.Direct)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	s := e.subscriber(t, events.SubscriberConfig{MaxDeliver: 5, MeterProvider: mp})
	testenv.Must(t, events.Handle(s, "order.created", func(ctx context.Context, tx pgx.Tx, ev events.Event[order]) error {
		switch {
		case ev.Data.ID == "flaky" && ev.Delivery == 1:
			return errors.New("try again")
		case ev.Data.ID == "poison":
			return events.Permanent(errors.New("never"))
		}
		return recordEffect(ctx, tx, ev)
	}), "handle")
	e.publish(t, "order.created", "m-1", `{"id":"fine"}`, nil)
	e.publish(t, "order.created", "m-2", `{"id":"flaky"}`, nil)
	e.publish(t, "order.created", "m-3", `{"id":"poison"}`, nil)
	run(t, s)

	var rm metricdata.ResourceMetrics
	byOutcome := map[string]uint64{}
	counters := map[string]int64{}
	platformtest.Eventually(t, "ack 2, retry 1, dead_letter 1", func() bool {
		testenv.Must(t, reader.Collect(context.Background(), &rm), "collect")
		clear(byOutcome)
		clear(counters)
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch data := m.Data.(type) {
				case metricdata.Histogram[float64]:
					if m.Name != events.MetricProcessDuration || m.Unit != "s" {
						continue
					}
					for _, dp := range data.DataPoints {
						if v, _ := dp.Attributes.Value("messaging.destination.name"); v.AsString() != e.stream {
							t.Errorf("destination %v", v)
						}
						if v, _ := dp.Attributes.Value("messaging.consumer.group.name"); v.AsString() != "worker" {
							t.Errorf("consumer group %v", v)
						}
						o, _ := dp.Attributes.Value(attribute.Key("outcome"))
						byOutcome[o.AsString()] += dp.Count
					}
				case metricdata.Sum[int64]:
					for _, dp := range data.DataPoints {
						st, _ := dp.Attributes.Value("stream")
						c, _ := dp.Attributes.Value("consumer")
						if st.AsString() == e.stream && c.AsString() == "worker" {
							counters[m.Name] += dp.Value
						}
					}
				}
			}
		}
		return byOutcome[events.OutcomeAck] == 2 && byOutcome[events.OutcomeRetry] == 1 && byOutcome[events.OutcomeDeadLetter] == 1 &&
			counters[events.MetricRedeliveries] == 1 && counters[events.MetricDeadLetters] == 1
	})
	if len(byOutcome) != 3 {
		t.Fatalf("outcomes %v", byOutcome)
	}
}
