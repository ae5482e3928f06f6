package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/centuria/centuria/libs/platform/natstrace"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
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
//
// Each call is one statement (one round trip) that takes the locks, checks
// the wake-up flag and inserts the rows, in that order.
func (w *Writer) Add(ctx context.Context, tx pgx.Tx, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	traceJSON, trace, err := w.traceHeaders(ctx)
	if err != nil {
		return err
	}
	now := w.now().UTC()
	if len(events) == 1 {
		e, headers, err := w.prepare(0, events[0], now, trace, traceJSON)
		if err != nil {
			return err
		}
		var h any // NULL for "{}", the column's default: no JSON to parse
		if headers != "{}" {
			h = headers
		}
		tag, err := tx.Exec(ctx, insertOne, pgtype.UUID{Bytes: e.ID, Valid: true}, e.AggregateType, e.AggregateID, e.Type, e.Payload, h, e.CreatedAt,
			aggregateLock(e.AggregateType, e.AggregateID))
		return checkInserted(tag, err, 1)
	}
	n := len(events)
	ids := make([]pgtype.UUID, n)
	aggTypes, aggIDs, types := make([]string, n), make([]string, n), make([]string, n)
	payloads := make([][]byte, n)
	headers := make([]string, n)
	created := make([]time.Time, n)
	locks := make([]int32, n)
	for i := range events {
		e, h, err := w.prepare(i, events[i], now, trace, traceJSON)
		if err != nil {
			return err
		}
		ids[i], aggTypes[i], aggIDs[i], types[i] = pgtype.UUID{Bytes: e.ID, Valid: true}, e.AggregateType, e.AggregateID, e.Type
		payloads[i], headers[i], created[i] = e.Payload, h, e.CreatedAt
		locks[i] = aggregateLock(e.AggregateType, e.AggregateID)
	}
	// Sorted, so that two calls locking the same aggregates take them in the
	// same order and cannot deadlock each other.
	slices.Sort(locks)
	locks = slices.Compact(locks)
	tag, err := tx.Exec(ctx, insertMany, ids, aggTypes, aggIDs, types, payloads, headers, created, locks)
	return checkInserted(tag, err, n)
}

// The insert statements take the aggregates' advisory locks, make sure the
// transaction has its id, and send NOTIFY (only while a relay waits idle) in
// uncorrelated sub-selects of the WHERE clause. PostgreSQL runs them once as
// a one-time filter before it produces the first row, and so before the
// row's seq is drawn from the identity sequence: a writer that waits for
// another writer of the same aggregate draws its seq only after that one
// commits (TestSeqFollowsCommitOrder checks it), and every seq is drawn by a
// transaction that already has its id, which the relay's scan floor relies
// on (see Relay.advanceFloor). The conditions are always true; the filter
// evaluates them all.
//
// Parameters are typed by casts in the text so that the statements also run
// unprepared (QueryExecModeExec, as behind PgBouncer); prepared, the id is
// sent as 16 binary bytes, and headers as NULL when there are none.
var (
	insertOne = `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
SELECT $1::uuid, $2::text, $3::text, $4::text, $5::bytea, coalesce($6::jsonb, '{}'), $7::timestamptz
WHERE (SELECT pg_advisory_xact_lock(` + strconv.Itoa(lockClass) + `, $8::int4)::text || pg_current_xact_id()::text) <> ''
	AND ` + wakeup
	insertMany = `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[]::jsonb[], $7::timestamptz[])
WHERE (SELECT count(pg_advisory_xact_lock(` + strconv.Itoa(lockClass) + `, k)) FROM unnest($8::int4[]) k) > 0
	AND (SELECT pg_current_xact_id()) IS NOT NULL
	AND ` + wakeup
)

// wakeup is a condition that is always true and sends NOTIFY (delivered at
// commit) when a relay has flagged itself idle: outbox_wakeup has one row.
const wakeup = `coalesce((SELECT pg_notify('` + NotifyChannel + `', '')::text FROM outbox_wakeup WHERE listening), '') = ''`

// checkInserted turns the result of an insert statement into Add's error.
func checkInserted(tag pgconn.CommandTag, err error, n int) error {
	if err != nil {
		return fmt.Errorf("outbox: writing %d events: %w", n, err)
	}
	if got := tag.RowsAffected(); got != int64(n) {
		return fmt.Errorf("outbox: wrote %d of %d events", got, n)
	}
	return nil
}

// traceHeaders returns the trace context of ctx as message headers, and
// encoded as the JSON headers column of an event that has no others.
func (w *Writer) traceHeaders(ctx context.Context) (string, nats.Header, error) {
	trace := nats.Header{}
	w.propagator.Inject(ctx, natstrace.HeaderCarrier(trace))
	if len(trace) == 0 {
		return "{}", nil, nil
	}
	h := make(map[string]string, len(trace))
	for k, v := range trace {
		h[k] = v[0]
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "", nil, fmt.Errorf("outbox: headers: %w", err)
	}
	return string(b), trace, nil
}

// prepare validates the i-th event, fills in its ID and CreatedAt, and
// returns it with its headers (the trace context overridden by its own
// headers) encoded as JSON.
func (w *Writer) prepare(i int, e Event, now time.Time, trace nats.Header, traceJSON string) (Event, string, error) {
	if err := e.validate(i, w.maxSize); err != nil {
		return e, "", err
	}
	if e.ID == uuid.Nil {
		id, err := w.newID()
		if err != nil {
			return e, "", fmt.Errorf("outbox: event id: %w", err)
		}
		e.ID = id
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	if len(e.Headers) == 0 {
		return e, traceJSON, nil
	}
	h := make(map[string]string, len(e.Headers)+len(trace))
	for k, v := range trace {
		h[k] = v[0]
	}
	for k, v := range e.Headers {
		h[k] = v
	}
	b, err := json.Marshal(h)
	if err != nil {
		return e, "", fmt.Errorf("outbox: headers: %w", err)
	}
	return e, string(b), nil
}

// aggregateLock hashes an aggregate to the second key of its advisory lock:
// FNV-1a of the type, a zero byte and the id.
func aggregateLock(aggType, aggID string) int32 {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for i := 0; i < len(aggType); i++ {
		h = (h ^ uint32(aggType[i])) * prime
	}
	h *= prime // the zero byte
	for i := 0; i < len(aggID); i++ {
		h = (h ^ uint32(aggID[i])) * prime
	}
	return int32(h)
}
