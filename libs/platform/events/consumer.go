package events

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ConsumerSpec declares a durable pull consumer in code.
type ConsumerSpec struct {
	// Stream is the stream consumed.
	Stream string
	// Durable is the consumer's durable name (letters, digits, '-', '_').
	Durable string
	// FilterSubjects narrows the subjects delivered (default: all).
	FilterSubjects []string
	// AckWait is how long the server waits for an ack before redelivering
	// (default 30s).
	AckWait time.Duration
	// MaxAckPending caps unacknowledged messages (default 1000).
	MaxAckPending int
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c ConsumerSpec) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: consumer %q: %s: %s", ErrInvalidConfig, c.Durable, field, fmt.Sprintf(format, args...))
	}
	switch {
	case !streamNameRE.MatchString(c.Stream):
		return bad("Stream", "%q must be letters, digits, '-' or '_'", c.Stream)
	case !streamNameRE.MatchString(c.Durable):
		return bad("Durable", "must be letters, digits, '-' or '_'")
	case c.AckWait < 0:
		return bad("AckWait", "%v is negative", c.AckWait)
	case c.MaxAckPending < 0:
		return bad("MaxAckPending", "%d is negative", c.MaxAckPending)
	}
	return nil
}

// EnsureConsumer creates the durable consumer or updates it to match spec.
// Redelivery is unlimited on the server (MaxDeliver -1): the Subscriber
// counts deliveries itself and dead-letters, so the server never drops a
// message silently.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, spec ConsumerSpec) (jetstream.Consumer, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:        spec.Durable,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        spec.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  spec.MaxAckPending,
		FilterSubjects: spec.FilterSubjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	if len(cfg.FilterSubjects) == 1 {
		// One filter goes in the single-subject field, which servers
		// before 2.10 (no filter_subjects) understand too.
		cfg.FilterSubject, cfg.FilterSubjects = cfg.FilterSubjects[0], nil
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.MaxAckPending == 0 {
		cfg.MaxAckPending = 1000
	}
	c, err := js.CreateOrUpdateConsumer(ctx, spec.Stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("ensuring consumer %s on %s: %w", spec.Durable, spec.Stream, err)
	}
	return c, nil
}
