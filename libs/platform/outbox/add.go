package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/centuria/centuria/libs/platform/natstrace"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
)

// DefaultMaxEventSize is the default limit on an event's payload plus
// headers: JetStream's default max message size is the 1 MiB max_payload.
const DefaultMaxEventSize = 1 << 20

// lockClass is the first key of the transaction-scoped advisory locks Add
// takes per aggregate (the two-key form does not collide with one-key
// application locks).
const lockClass = 0x0cE7

// Writer writes events into the outbox table within a caller's
// transaction. The zero value is not usable; use NewWriter or the
// package-level Add.
type Writer struct {
	maxSize    int
	now        func() time.Time
	newID      func() (uuid.UUID, error)
	propagator propagation.TextMapPropagator
}

// WriterOption tunes a Writer.
type WriterOption func(*Writer) error

// WithMaxEventSize sets the largest payload plus headers Add accepts
// (default 1 MiB); match it to the stream's MaxMsgSize.
func WithMaxEventSize(n int) WriterOption {
	return func(w *Writer) error {
		if n < 1024 {
			return fmt.Errorf("%w: MaxEventSize %d is below 1024", ErrInvalidConfig, n)
		}
		w.maxSize = n
		return nil
	}
}

// WithClock sets the clock that stamps CreatedAt (default time.Now).
func WithClock(now func() time.Time) WriterOption {
	return func(w *Writer) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidConfig)
		}
		w.now = now
		return nil
	}
}

// WithPropagator sets the propagator that records the trace context
// (default W3C trace context and baggage).
func WithPropagator(p propagation.TextMapPropagator) WriterOption {
	return func(w *Writer) error {
		if p == nil {
			return fmt.Errorf("%w: nil propagator", ErrInvalidConfig)
		}
		w.propagator = p
		return nil
	}
}

// NewWriter returns a Writer with the options applied.
func NewWriter(opts ...WriterOption) (*Writer, error) {
	w := &Writer{maxSize: DefaultMaxEventSize, now: time.Now, newID: uuid.NewV7, propagator: natstrace.Propagator}
	for _, o := range opts {
		if err := o(w); err != nil {
			return nil, err
		}
	}
	return w, nil
}

var defaultWriter, _ = NewWriter()

// Add writes events with the default Writer; see Writer.Add.
func Add(ctx context.Context, tx pgx.Tx, events ...Event) error {
	return defaultWriter.Add(ctx, tx, events...)
}

// Add validates events, fills in ID, CreatedAt and the trace context of ctx,
// and inserts them in tx, so they exist exactly when tx commits; if a relay
// is waiting idle, the commit also notifies it. It takes a
// transaction-scoped advisory lock per aggregate, which orders concurrent
// writers of one aggregate so that its events are numbered in commit order;
// take row locks in a consistent order across transactions as usual to avoid
// deadlocks. Invalid events return an error wrapping ErrInvalidEvent (and
// ErrEventTooLarge) and nothing is written.
func (w *Writer) Add(ctx context.Context, tx pgx.Tx, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	trace := nats.Header{}
	w.propagator.Inject(ctx, natstrace.HeaderCarrier(trace))
	n := len(events)
	ids := make([]string, n)
	aggTypes, aggIDs, types := make([]string, n), make([]string, n), make([]string, n)
	payloads := make([][]byte, n)
	headers := make([]string, n)
	created := make([]time.Time, n)
	var locks []int32
	now := w.now().UTC()
	for i := range events {
		e := events[i]
		if err := e.validate(i, w.maxSize); err != nil {
			return err
		}
		if e.ID == uuid.Nil {
			id, err := w.newID()
			if err != nil {
				return fmt.Errorf("outbox: event id: %w", err)
			}
			e.ID = id
		}
		if e.CreatedAt.IsZero() {
			e.CreatedAt = now
		}
		h := make(map[string]string, len(e.Headers)+len(trace))
		for k, v := range trace {
			h[k] = v[0]
		}
		for k, v := range e.Headers {
			h[k] = v
		}
		hb, err := json.Marshal(h)
		if err != nil {
			return fmt.Errorf("outbox: headers: %w", err)
		}
		ids[i], aggTypes[i], aggIDs[i], types[i] = e.ID.String(), e.AggregateType, e.AggregateID, e.Type
		payloads[i], headers[i], created[i] = e.Payload, string(hb), e.CreatedAt
		locks = append(locks, aggregateLock(e.AggregateType, e.AggregateID))
	}
	slices.Sort(locks)
	locks = slices.Compact(locks)
	b := &pgx.Batch{}
	for _, k := range locks {
		b.Queue("SELECT pg_advisory_xact_lock($1::int4, $2::int4)", int32(lockClass), k)
	}
	// One statement writes the events and wakes an idle relay at commit (a
	// busy one polls anyway): the insert runs whether or not anyone listens.
	b.Queue(`WITH ins AS (
	INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
	SELECT * FROM unnest($1::text[]::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[]::jsonb[], $7::timestamptz[]))
SELECT pg_notify($8, '') FROM outbox_wakeup WHERE listening`,
		ids, aggTypes, aggIDs, types, payloads, headers, created, NotifyChannel)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("outbox: writing %d events: %w", n, err)
	}
	return nil
}

// aggregateLock hashes an aggregate to the second key of its advisory lock.
func aggregateLock(aggType, aggID string) int32 {
	h := fnv.New32a()
	h.Write([]byte(aggType))
	h.Write([]byte{0})
	h.Write([]byte(aggID))
	return int32(h.Sum32())
}
