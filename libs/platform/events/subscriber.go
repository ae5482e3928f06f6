package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/centuria/centuria/libs/platform/natstrace"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Dead-letter headers added to a message copied to the dead-letter stream.
const (
	HeaderDLQReason     = "Centuria-Dlq-Reason"
	HeaderDLQStream     = "Centuria-Dlq-Stream"
	HeaderDLQConsumer   = "Centuria-Dlq-Consumer"
	HeaderDLQSubject    = "Centuria-Dlq-Subject"
	HeaderDLQStreamSeq  = "Centuria-Dlq-Stream-Seq"
	HeaderDLQDeliveries = "Centuria-Dlq-Deliveries"
)

// TxBeginner starts transactions; *pgxpool.Pool satisfies it.
type TxBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// SubscriberConfig configures a Subscriber. The zero value of every field
// except Stream and Durable means the documented default.
type SubscriberConfig struct {
	ConsumerSpec
	// MaxDeliver is how many deliveries a message gets before it goes to
	// the dead-letter stream (default 5).
	MaxDeliver int
	// RetryMin and RetryMax bound the exponential NakWithDelay backoff
	// (defaults 1s and 1m).
	RetryMin, RetryMax time.Duration
	// Workers is how many handlers run at once (default 4).
	Workers int
	// DeadLetterStream receives dead letters on
	// dlq.<Stream>.<Durable>.<subject> (default <Stream>_DLQ, created if
	// missing with DeadLetterSpec).
	DeadLetterStream string
	// Logger receives dead letters and errors (default slog.Default()).
	Logger *slog.Logger
	// TracerProvider provides consumer spans (default the global provider).
	TracerProvider trace.TracerProvider
	// Propagator reads the producer's trace context (default W3C trace
	// context and baggage, any header spelling).
	Propagator propagation.TextMapPropagator
	// MeterProvider provides the consumer metrics (default the global
	// provider): messaging.process.duration by outcome,
	// centuria.consumer.redeliveries and centuria.consumer.dead_letters.
	MeterProvider metric.MeterProvider
}

func (c SubscriberConfig) withDefaults() SubscriberConfig {
	if c.MaxDeliver == 0 {
		c.MaxDeliver = 5
	}
	if c.RetryMin == 0 {
		c.RetryMin = time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = time.Minute
	}
	if c.Workers == 0 {
		c.Workers = 4
	}
	if c.AckWait == 0 {
		c.AckWait = 30 * time.Second
	}
	if c.DeadLetterStream == "" {
		c.DeadLetterStream = c.Stream + "_DLQ"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.Propagator == nil {
		c.Propagator = natstrace.Propagator
	}
	if c.MeterProvider == nil {
		c.MeterProvider = otel.GetMeterProvider()
	}
	return c
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c SubscriberConfig) Validate() error {
	if err := c.ConsumerSpec.Validate(); err != nil {
		return err
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: subscriber %q: %s: %s", ErrInvalidConfig, c.Durable, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.MaxDeliver < 1:
		return bad("MaxDeliver", "%d must be at least 1", c.MaxDeliver)
	case c.RetryMin < 0 || c.RetryMax < c.RetryMin:
		return bad("RetryMin/RetryMax", "need 0 <= RetryMin <= RetryMax")
	case c.Workers < 1 || c.Workers > 1024:
		return bad("Workers", "%d not in 1..1024", c.Workers)
	case !streamNameRE.MatchString(c.DeadLetterStream):
		return bad("DeadLetterStream", "%q must be letters, digits, '-' or '_'", c.DeadLetterStream)
	}
	return nil
}

// Event is a decoded event handed to a typed handler.
type Event[T any] struct {
	Envelope
	// Data is the decoded payload.
	Data T
	// NATSSubject is the subject the message was published on.
	NATSSubject string
	// Header holds every message header.
	Header nats.Header
	// Delivery counts deliveries of this message, starting at 1.
	Delivery uint64
}

// Handler handles one event inside tx, the transaction that also records
// the event in the inbox. Return nil to commit and ack, an error to roll
// back and retry with backoff, or Permanent(err) to dead-letter at once.
type Handler[T any] func(ctx context.Context, tx pgx.Tx, ev Event[T]) error

type dispatch func(ctx context.Context, tx pgx.Tx, env Envelope, msg jetstream.Msg, delivery uint64) error

// Subscriber consumes one durable consumer, runs the typed handler
// registered for each event's ce-type inside a database transaction with
// the inbox, and retries or dead-letters failures.
type Subscriber struct {
	js       jetstream.JetStream
	db       TxBeginner
	cfg      SubscriberConfig
	tracer   trace.Tracer
	metrics  *consumerMetrics
	mu       sync.Mutex
	handlers map[string]dispatch
	running  bool
}

// NewSubscriber returns a subscriber; register handlers with Handle, then
// call Run. Errors wrap ErrInvalidConfig.
func NewSubscriber(js jetstream.JetStream, db TxBeginner, cfg SubscriberConfig) (*Subscriber, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newConsumerMetrics(cfg.MeterProvider, cfg.Stream, cfg.Durable)
	if err != nil {
		return nil, fmt.Errorf("subscriber %q: creating metrics: %w", cfg.Durable, err)
	}
	return &Subscriber{
		js: js, db: db, cfg: cfg, handlers: map[string]dispatch{}, metrics: m,
		tracer: cfg.TracerProvider.Tracer("github.com/centuria/centuria/libs/platform/events"),
	}, nil
}

// errSeen marks an event the inbox already holds.
var errSeen = errors.New("event already processed")

// Handle registers h for events of eventType whose JSON payload decodes
// into T. It returns an error wrapping ErrInvalidConfig for an empty or
// already registered type, or once Run has started.
func Handle[T any](s *Subscriber, eventType string, h Handler[T]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.running:
		return fmt.Errorf("%w: Handle(%q) after Run", ErrInvalidConfig, eventType)
	case eventType == "" || h == nil:
		return fmt.Errorf("%w: Handle needs an event type and a handler", ErrInvalidConfig)
	case s.handlers[eventType] != nil:
		return fmt.Errorf("%w: event type %q already has a handler", ErrInvalidConfig, eventType)
	}
	s.handlers[eventType] = func(ctx context.Context, tx pgx.Tx, env Envelope, msg jetstream.Msg, delivery uint64) error {
		if !strings.HasPrefix(env.ContentType, ContentTypeJSON) {
			return fmt.Errorf("%w: %s: unsupported content-type %q", ErrDecode, env.Type, env.ContentType)
		}
		var data T
		if err := json.Unmarshal(msg.Data(), &data); err != nil {
			return fmt.Errorf("%w: %s into %T: %w", ErrDecode, env.Type, data, err)
		}
		return h(ctx, tx, Event[T]{Envelope: env, Data: data, NATSSubject: msg.Subject(), Header: msg.Headers(), Delivery: delivery})
	}
	return nil
}

// Run ensures the consumer and the dead-letter stream, then handles
// messages until ctx is done. On shutdown it stops fetching, finishes the
// handlers in flight and the messages already buffered, and returns nil.
func (s *Subscriber) Run(ctx context.Context) error {
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	dlq := DeadLetterSpec(s.cfg.Stream)
	dlq.Name = s.cfg.DeadLetterStream
	if _, err := EnsureStream(ctx, s.js, dlq); err != nil {
		return err
	}
	cons, err := EnsureConsumer(ctx, s.js, s.cfg.ConsumerSpec)
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(s.cfg.Workers * 2))
	if err != nil {
		return fmt.Errorf("consuming %s: %w", s.cfg.Durable, err)
	}
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()
	// Handlers outlive ctx so that shutdown lets them finish.
	base := context.WithoutCancel(ctx)
	sem := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			// Missed heartbeats and reconnects come through here; the
			// iterator keeps pulling. Pause so a lasting fault does not spin.
			s.cfg.Logger.Warn("events: fetching", "consumer", s.cfg.Durable, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.process(base, msg)
		}()
	}
}

// process handles one message to its end: ack, nak with delay, or dead
// letter then term.
func (s *Subscriber) process(ctx context.Context, msg jetstream.Msg) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.AckWait)
	defer cancel()
	var delivery, streamSeq uint64 = 1, 0
	if md, err := msg.Metadata(); err == nil {
		delivery, streamSeq = md.NumDelivered, md.Sequence.Stream
	}
	if delivery > 1 {
		s.metrics.redelivered(ctx)
	}
	ctx = natstrace.Extract(ctx, s.cfg.Propagator, msg.Headers())
	env, err := ParseEnvelope(msg.Headers())
	spanName := "process " + env.Type
	if err != nil {
		spanName = "process " + msg.Subject()
	}
	ctx, span := s.tracer.Start(ctx, spanName, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("messaging.system", "nats"),
		attribute.String("messaging.destination.name", msg.Subject()),
		attribute.String("messaging.consumer.group.name", s.cfg.Durable),
		attribute.String("messaging.message.id", env.ID),
		attribute.Int64("messaging.message.delivery_count", int64(delivery)),
	))
	defer span.End()
	if err == nil {
		err = s.handle(ctx, env, msg, delivery)
	}
	if err == nil {
		if aerr := msg.DoubleAck(ctx); aerr != nil {
			// The effect is committed and recorded in the inbox; a
			// redelivery is a no-op.
			s.cfg.Logger.WarnContext(ctx, "events: ack", "consumer", s.cfg.Durable, "id", env.ID, "err", aerr)
		}
		s.metrics.processed(ctx, start, OutcomeAck)
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	permanent := errors.Is(err, ErrPermanent) || errors.Is(err, ErrDecode) ||
		errors.Is(err, ErrInvalidEnvelope) || errors.Is(err, ErrUnknownEventType)
	if !permanent && delivery < uint64(s.cfg.MaxDeliver) {
		delay := s.backoff(delivery)
		s.cfg.Logger.WarnContext(ctx, "events: handler failed; retrying", "consumer", s.cfg.Durable, "id", env.ID, "type", env.Type, "delivery", delivery, "delay", delay, "err", err)
		msg.NakWithDelay(delay)
		s.metrics.processed(ctx, start, OutcomeRetry)
		return
	}
	if !permanent {
		err = fmt.Errorf("gave up after %d deliveries: %w", delivery, err)
	}
	if s.deadLetter(ctx, msg, streamSeq, delivery, err) {
		s.metrics.processed(ctx, start, OutcomeDeadLetter)
	} else {
		s.metrics.processed(ctx, start, OutcomeRetry)
	}
}

// handle decodes and runs the handler in a transaction with the inbox row.
func (s *Subscriber) handle(ctx context.Context, env Envelope, msg jetstream.Msg, delivery uint64) error {
	s.mu.Lock()
	d := s.handlers[env.Type]
	s.mu.Unlock()
	if d == nil {
		return fmt.Errorf("%w: %q has no handler in consumer %s", ErrUnknownEventType, env.Type, s.cfg.Durable)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) (err error) {
		defer func() {
			// A panicking handler is a failed delivery: retried, then
			// dead-lettered, and the transaction rolls back.
			if p := recover(); p != nil {
				err = fmt.Errorf("handler panicked: %v", p)
			}
		}()
		tag, err := tx.Exec(ctx, "INSERT INTO events_inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", s.cfg.Durable, env.ID)
		if err != nil {
			return fmt.Errorf("recording event in inbox: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errSeen
		}
		return d(ctx, tx, env, msg, delivery)
	})
	if errors.Is(err, errSeen) {
		return nil
	}
	return err
}

// backoff returns RetryMin doubled per earlier delivery, capped at
// RetryMax.
func (s *Subscriber) backoff(delivery uint64) time.Duration {
	d := s.cfg.RetryMin
	for i := uint64(1); i < delivery && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

// deadLetter copies msg with cause headers to the dead-letter stream and
// then terminates it. If the copy fails the message is retried later, never
// dropped, and deadLetter returns false.
func (s *Subscriber) deadLetter(ctx context.Context, msg jetstream.Msg, streamSeq, delivery uint64, cause error) bool {
	dl := nats.NewMsg(DeadLetterSubjectPrefix + "." + s.cfg.Stream + "." + s.cfg.Durable + "." + msg.Subject())
	for k, v := range msg.Headers() {
		dl.Header[k] = append([]string(nil), v...)
	}
	reason := strings.NewReplacer("\r", " ", "\n", " ").Replace(cause.Error())
	dl.Header.Set(HeaderDLQReason, reason)
	dl.Header.Set(HeaderDLQStream, s.cfg.Stream)
	dl.Header.Set(HeaderDLQConsumer, s.cfg.Durable)
	dl.Header.Set(HeaderDLQSubject, msg.Subject())
	dl.Header.Set(HeaderDLQStreamSeq, strconv.FormatUint(streamSeq, 10))
	dl.Header.Set(HeaderDLQDeliveries, strconv.FormatUint(delivery, 10))
	dl.Header.Set(nats.MsgIdHdr, s.cfg.Stream+":"+s.cfg.Durable+":"+strconv.FormatUint(streamSeq, 10))
	dl.Data = msg.Data()
	if _, err := s.js.PublishMsg(ctx, dl); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "events: dead-lettering failed; will retry", "consumer", s.cfg.Durable, "seq", streamSeq, "cause", reason, "err", err)
		msg.NakWithDelay(s.cfg.RetryMax)
		return false
	}
	s.cfg.Logger.ErrorContext(ctx, "events: dead-lettered", "consumer", s.cfg.Durable, "seq", streamSeq, "subject", msg.Subject(), "reason", reason)
	// Term, not TermWithReason: servers before 2.10.4 ignore the latter and
	// would redeliver. The reason travels in the dead letter's headers.
	if err := msg.Term(); err != nil {
		s.cfg.Logger.Warn("events: term after dead letter", "consumer", s.cfg.Durable, "seq", streamSeq, "err", err)
	}
	return true
}

var _ TxBeginner = (*pgxpool.Pool)(nil)
