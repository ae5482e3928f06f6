package orderflow

import (
	"context"
	"encoding/json"

	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/jackc/pgx/v5"
)

// Payload is an event payload of the flow.
type Payload interface {
	Validate() error
}

// Handle registers h for eventType on sub, after validation: a payload that
// does not decode (checked by the events package) or does not validate is a
// permanent error, so the message is dead-lettered instead of retried.
func Handle[T Payload](sub *events.Subscriber, eventType string, h events.Handler[T]) error {
	return events.Handle(sub, eventType, func(ctx context.Context, tx pgx.Tx, ev events.Event[T]) error {
		if err := ev.Data.Validate(); err != nil {
			return events.Permanent(err)
		}
		return h(ctx, tx, ev)
	})
}

// Ignore registers a handler that acknowledges events of each type without
// any effect, for the events of a consumed stream a service does not act on.
func Ignore(sub *events.Subscriber, eventTypes ...string) error {
	for _, et := range eventTypes {
		err := events.Handle(sub, et, func(context.Context, pgx.Tx, events.Event[json.RawMessage]) error { return nil })
		if err != nil {
			return err
		}
	}
	return nil
}

// NewEvent returns the outbox event of type eventType about the aggregate
// (AggregateOrder...) with id, after validating the payload.
func NewEvent(aggregate, id, eventType string, p Payload) (outbox.Event, error) {
	if err := p.Validate(); err != nil {
		return outbox.Event{}, err
	}
	return outbox.NewJSON(aggregate, id, eventType, p)
}

// Subscription is one durable consumer a service runs: the stream
// (StreamOrders...), the durable name, the event types it acts on, and the
// function that registers its handlers on the subscriber.
type Subscription struct {
	Stream  string
	Durable string
	// Types are the event types handled; with one, the consumer filters on
	// its subject.
	Types    []string
	Register func(*events.Subscriber) error
}

// Subscriber registers a durable consumer and runs it with the service;
// *service.Service satisfies it.
type Subscriber interface {
	Subscribe(cfg events.SubscriberConfig, register func(*events.Subscriber) error) error
}

// Subscribe registers every subscription with s under the topology's
// stream names.
func (t Topology) Subscribe(s Subscriber, subs ...Subscription) error {
	for _, sub := range subs {
		cfg := events.SubscriberConfig{ConsumerSpec: t.Consumer(sub.Stream, sub.Durable, sub.Types...)}
		if err := s.Subscribe(cfg, sub.Register); err != nil {
			return err
		}
	}
	return nil
}

// StreamsOrNone returns the topology's streams, or none when err (from
// TopologyFromEnv) is set, so that a service started with a bad
// EVENTS_PREFIX creates nothing before it reports the error.
func (t Topology) StreamsOrNone(err error) []events.StreamSpec {
	if err != nil {
		return nil
	}
	return t.Streams()
}
