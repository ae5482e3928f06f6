package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/natstrace"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// DB is what the relay needs from a connection pool; *pgxpool.Pool
// satisfies it, directly or through PgBouncer in transaction mode.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// RelayConfig configures a Relay. The zero value of every field except
// Source means the documented default.
type RelayConfig struct {
	// Source is the CloudEvents source of the events ("/orders"); required.
	Source string
	// SubjectPrefix starts every subject: <prefix>.<aggregate type>.<event
	// type> (default "events").
	SubjectPrefix string
	// BatchSize is the most rows read per cycle (default 1000).
	BatchSize int
	// PollInterval is how often the outbox is polled when no notification
	// arrives: the safety net under LISTEN/NOTIFY (default 1s; 50ms when
	// ListenURL is empty).
	PollInterval time.Duration
	// PublishTimeout bounds the wait for one wave of publish acks
	// (default 5s).
	PublishTimeout time.Duration
	// RetryMin and RetryMax bound the exponential backoff after a failed
	// cycle (defaults 50ms and 5s).
	RetryMin, RetryMax time.Duration
	// ListenURL is a direct (not PgBouncer) PostgreSQL URL used for LISTEN;
	// empty means polling only.
	ListenURL string
	// LeaseName names the relay lease; replicas sharing it elect one active
	// relay (default "default").
	LeaseName string
	// LeaseTTL is how long a replica holds the lease without renewing it
	// (default 15s). A standby takes over after at most this long.
	LeaseTTL time.Duration
	// NoLease makes every replica relay at once. Correctness holds either
	// way (per-aggregate waves and Nats-Msg-Id deduplication); the lease
	// only saves duplicate work.
	NoLease bool
	// Owner identifies this replica in the lease (default host-pid-random).
	Owner string
	// Logger receives relay errors (default slog.Default()).
	Logger *slog.Logger
	// TracerProvider provides relay spans (default the global provider).
	TracerProvider trace.TracerProvider
	// MeterProvider provides the relay metrics (default the global
	// provider): centuria.outbox.pending, centuria.outbox.lag and
	// centuria.outbox.published.
	MeterProvider metric.MeterProvider
	// Propagator reads the producers' trace context from the rows (default
	// W3C trace context and baggage).
	Propagator propagation.TextMapPropagator
}

func (c RelayConfig) withDefaults() RelayConfig {
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = "events"
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
		if c.ListenURL == "" {
			c.PollInterval = 50 * time.Millisecond
		}
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 5 * time.Second
	}
	if c.RetryMin == 0 {
		c.RetryMin = 50 * time.Millisecond
	}
	if c.RetryMax == 0 {
		c.RetryMax = 5 * time.Second
	}
	if c.LeaseName == "" {
		c.LeaseName = "default"
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 15 * time.Second
	}
	if c.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		c.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
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
func (c RelayConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Source == "":
		return bad("Source", "required (the CloudEvents source, e.g. /orders)")
	case !isEventType(c.SubjectPrefix):
		return bad("SubjectPrefix", "%q is not dot-separated subject tokens", c.SubjectPrefix)
	case c.BatchSize < 1 || c.BatchSize > 100000:
		return bad("BatchSize", "%d not in 1..100000", c.BatchSize)
	case c.PollInterval < 0, c.PublishTimeout < 0, c.RetryMin < 0, c.RetryMax < c.RetryMin, c.LeaseTTL < 0:
		return bad("durations", "must be positive and RetryMin <= RetryMax")
	}
	return nil
}

// Stats counts what a relay did since it started.
type Stats struct {
	// Published counts events newly stored in the stream.
	Published int64
	// Duplicates counts events the stream already had (republished after a
	// crash or by another replica).
	Duplicates int64
	// DeadLettered counts events moved to outbox_dead_letters because the
	// stream can never accept them.
	DeadLettered int64
	// Failures counts cycles that ended with an error and were retried.
	Failures int64
}

// Relay publishes committed outbox events to JetStream and deletes them
// once the stream has acknowledged them.
//
// It reads rows in insertion order without a cursor, so a transaction that
// commits late is relayed when it commits rather than skipped; the read
// starts above a floor that no event can appear below any more, so rows
// already relayed but not yet vacuumed are not walked past on every cycle. Events of
// one aggregate are published in waves, each waiting for the previous
// one's acks, so they reach the stream in order even when publishes fail
// part-way, while different aggregates are pipelined together. Every
// message carries Nats-Msg-Id = event id: a crash between publish and
// delete, or a second replica, produces duplicates that JetStream drops
// within the stream's duplicate window, which must exceed the longest
// relay outage tolerated.
type Relay struct {
	db      DB
	js      jetstream.JetStream
	cfg     RelayConfig
	tracer  trace.Tracer
	metrics *relayMetrics
	wake    chan struct{}

	published, duplicates, dead, failures atomic.Int64

	floor      scanFloor
	leaseUntil time.Time
	listening  bool
	graceDelay time.Duration
	now        func() time.Time
	// afterPublish, when set by tests, runs between the publish acks and
	// the delete of a batch.
	afterPublish func(ctx context.Context)
}

// NewRelay returns a relay reading db and publishing through nc. It creates
// its own JetStream context so that async publishes time out after
// PublishTimeout. Errors wrap ErrInvalidConfig.
func NewRelay(db DB, nc *nats.Conn, cfg RelayConfig) (*Relay, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncTimeout(cfg.PublishTimeout),
		jetstream.WithPublishAsyncMaxPending(cfg.BatchSize*2))
	if err != nil {
		return nil, fmt.Errorf("outbox relay: jetstream: %w", err)
	}
	m, err := newRelayMetrics(cfg.MeterProvider, db)
	if err != nil {
		return nil, fmt.Errorf("outbox relay: creating metrics: %w", err)
	}
	return &Relay{
		db: db, js: js, cfg: cfg, metrics: m,
		tracer:     cfg.TracerProvider.Tracer("github.com/centuria/centuria/libs/platform/outbox"),
		wake:       make(chan struct{}, 1),
		graceDelay: graceDelay,
		now:        time.Now,
		floor:      scanFloor{every: floorEvery, rescanEvery: floorRescan},
	}, nil
}

// Stats returns the relay's counters.
func (r *Relay) Stats() Stats {
	return Stats{Published: r.published.Load(), Duplicates: r.duplicates.Load(), DeadLettered: r.dead.Load(), Failures: r.failures.Load()}
}

// Subject returns the subject an event of the given aggregate type and
// event type is published on.
func (r *Relay) Subject(aggregateType, eventType string) string {
	return r.cfg.SubjectPrefix + "." + aggregateType + "." + eventType
}

// row is one outbox row.
type row struct {
	seq       int64
	id        uuid.UUID
	aggType   string
	aggID     string
	eventType string
	payload   []byte
	headers   map[string]string
	created   time.Time
}

// RelayOnce relays one batch of committed events, ignoring the lease, and
// returns how many rows it read. Rows whose publish failed stay for the next
// cycle; the first such error is returned.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	if err := r.advanceFloor(ctx); err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		r.cfg.Logger.Warn("outbox relay: reading from the lowest seq meanwhile", "err", err)
	}
	rows, err := r.fetch(ctx)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	links := make([]trace.Link, 0, min(len(rows), 128))
	for _, rw := range rows {
		if len(links) == cap(links) {
			break
		}
		if len(rw.headers) == 0 {
			continue // no trace context to link to
		}
		h := nats.Header{}
		for k, v := range rw.headers {
			h.Set(k, v)
		}
		if sc := trace.SpanContextFromContext(natstrace.Extract(ctx, r.cfg.Propagator, h)); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	// The batch span links to the producers; each event's publish span is a
	// child of its producer's context (see message), so one request is one
	// trace from the handler that added the event to its consumers.
	ctx, span := r.tracer.Start(ctx, "outbox relay", trace.WithSpanKind(trace.SpanKindInternal), trace.WithLinks(links...),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.Int("messaging.batch.message_count", len(rows))))
	defer span.End()

	res := r.publish(ctx, rows)
	if r.afterPublish != nil {
		r.afterPublish(ctx)
	}
	if err := r.finish(ctx, res); err != nil {
		span.RecordError(err)
		return len(rows), err
	}
	if res.err != nil {
		span.RecordError(res.err)
	}
	return len(rows), res.err
}

func (r *Relay) fetch(ctx context.Context) ([]row, error) {
	q, err := r.db.Query(ctx, `SELECT seq, id, aggregate_type, aggregate_id, event_type, payload, headers, created_at
FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2`, r.floor.seq, r.cfg.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("outbox relay: reading events: %w", err)
	}
	var out []row
	for q.Next() {
		var rw row
		var id pgtype.UUID // binary: google/uuid would scan through text
		var hb []byte
		if err := q.Scan(&rw.seq, &id, &rw.aggType, &rw.aggID, &rw.eventType, &rw.payload, &hb, &rw.created); err != nil {
			q.Close()
			return nil, fmt.Errorf("outbox relay: reading events: %w", err)
		}
		rw.id = id.Bytes
		// Rows without headers (no tracing) are the common case: "{}"
		// needs no decoding.
		if string(hb) != "{}" {
			if err := json.Unmarshal(hb, &rw.headers); err != nil {
				// Add only writes string maps; anything else was written by
				// hand. Publish without the extra headers rather than stall.
				r.cfg.Logger.Error("outbox relay: ignoring malformed headers", "seq", rw.seq, "err", err)
				rw.headers = nil
			}
		}
		out = append(out, rw)
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("outbox relay: reading events: %w", err)
	}
	return out, nil
}

// publishSpan starts the span of publishing m, a child of the producer's
// context stored with the event (or of the batch span in ctx when the event
// has none), and writes the span's context into m's headers so that the
// consumers' spans descend from it.
func (r *Relay) publishSpan(ctx context.Context, m *nats.Msg, rw *row) trace.Span {
	batch := trace.SpanContextFromContext(ctx)
	pctx := natstrace.Extract(ctx, r.cfg.Propagator, m.Header)
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
		attribute.String("messaging.system", "nats"),
		attribute.String("messaging.operation.type", "send"),
		attribute.String("messaging.destination.name", m.Subject),
		attribute.String("messaging.message.id", m.Header.Get(nats.MsgIdHdr)),
		attribute.String("cloudevents.event_type", rw.eventType),
	)}
	if sc := trace.SpanContextFromContext(pctx); batch.IsValid() && !sc.Equal(batch) {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: batch}))
	}
	pctx, span := r.tracer.Start(pctx, "send "+m.Subject, opts...)
	natstrace.Inject(pctx, r.cfg.Propagator, m.Header)
	return span
}

// message builds the NATS message of an outbox row.
func (r *Relay) message(rw *row) *nats.Msg {
	m := nats.NewMsg(r.Subject(rw.aggType, rw.eventType))
	ct := ""
	for k, v := range rw.headers {
		if strings.EqualFold(k, events.HeaderContentType) {
			ct = v
			continue
		}
		m.Header.Set(k, v)
	}
	events.Envelope{
		ID: rw.id.String(), Type: rw.eventType, Source: r.cfg.Source, Subject: rw.aggID,
		Time: rw.created, ContentType: ct,
	}.Write(m.Header)
	m.Header.Set(HeaderAggregateType, rw.aggType)
	m.Data = rw.payload
	return m
}

// HeaderAggregateType is the CloudEvents extension attribute carrying the
// aggregate type; ce-subject carries the aggregate id.
const HeaderAggregateType = "ce-aggregatetype"

// isPermanent reports whether a publish error can never succeed on retry.
func isPermanent(err error) bool {
	if errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum
}

var _ DB = (*pgxpool.Pool)(nil)
