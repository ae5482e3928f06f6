package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// publishResult is the outcome of publishing one batch.
type publishResult struct {
	done   []int64  // seqs the stream holds (stored or duplicate)
	dead   []int64  // seqs the stream can never accept
	reason []string // reason per dead seq
	err    error    // first transient error
}

type aggKey struct{ typ, id string }

// publish sends rows in waves: wave k holds the k-th pending event of every
// aggregate in the batch and is sent only after all acks of wave k-1. An
// aggregate whose event failed transiently is blocked for the rest of the
// batch, so a later event of it never overtakes an earlier one.
func (r *Relay) publish(ctx context.Context, rows []row) publishResult {
	var res publishResult
	order := []aggKey{}
	byAgg := map[aggKey][]*row{}
	for i := range rows {
		k := aggKey{rows[i].aggType, rows[i].aggID}
		if _, ok := byAgg[k]; !ok {
			order = append(order, k)
		}
		byAgg[k] = append(byAgg[k], &rows[i])
	}
	blocked := map[aggKey]bool{}
	fail := func(k aggKey, rw *row, span trace.Span, err error) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.End()
		if isPermanent(err) {
			res.dead = append(res.dead, rw.seq)
			res.reason = append(res.reason, err.Error())
			r.cfg.Logger.Error("outbox relay: event can never be published; moved to "+TableDeadLetters,
				"id", rw.id, "type", rw.eventType, "aggregate", rw.aggType+"/"+rw.aggID, "err", err)
			return
		}
		blocked[k] = true
		if res.err == nil {
			res.err = fmt.Errorf("outbox relay: publishing event %s: %w", rw.id, err)
		}
	}
	type pending struct {
		k    aggKey
		rw   *row
		f    jetstream.PubAckFuture
		span trace.Span
	}
	for depth := 0; ; depth++ {
		var wave []pending
		for _, k := range order {
			if list := byAgg[k]; depth < len(list) && !blocked[k] {
				wave = append(wave, pending{k: k, rw: list[depth]})
			}
		}
		if len(wave) == 0 {
			return res
		}
		for i := range wave {
			m := r.message(wave[i].rw)
			wave[i].span = r.publishSpan(ctx, m, wave[i].rw)
			f, err := r.js.PublishMsgAsync(m)
			if err != nil {
				fail(wave[i].k, wave[i].rw, wave[i].span, err)
				continue
			}
			wave[i].f = f
		}
		timer := time.NewTimer(r.cfg.PublishTimeout)
		expired := false
		for _, p := range wave {
			if p.f == nil {
				continue
			}
			if expired {
				select {
				case ack := <-p.f.Ok():
					r.acked(ctx, &res, p.rw, p.span, ack)
				case err := <-p.f.Err():
					fail(p.k, p.rw, p.span, err)
				default:
					fail(p.k, p.rw, p.span, errNoAck)
				}
				continue
			}
			select {
			case ack := <-p.f.Ok():
				r.acked(ctx, &res, p.rw, p.span, ack)
			case err := <-p.f.Err():
				fail(p.k, p.rw, p.span, err)
			case <-timer.C:
				expired = true
				fail(p.k, p.rw, p.span, errNoAck)
			case <-ctx.Done():
				timer.Stop()
				fail(p.k, p.rw, p.span, ctx.Err())
				for _, rest := range wave {
					if rest.f != nil && rest.span.IsRecording() {
						rest.span.End()
					}
				}
				return res
			}
		}
		timer.Stop()
	}
}

var errNoAck = errors.New("no publish ack within the publish timeout")

func (r *Relay) acked(ctx context.Context, res *publishResult, rw *row, span trace.Span, ack *jetstream.PubAck) {
	res.done = append(res.done, rw.seq)
	span.SetAttributes(attribute.Int64("messaging.nats.stream.sequence", int64(ack.Sequence)), attribute.Bool("messaging.nats.duplicate", ack.Duplicate))
	span.End()
	if ack.Duplicate {
		r.duplicates.Add(1)
	} else {
		r.published.Add(1)
		r.metrics.published.Add(ctx, 1)
	}
}

// deleteDone removes relayed rows. Its commit does not wait for the WAL to
// reach the disk (synchronous_commit off for this transaction only): if the
// server crashes before the delete is durable, the rows come back and are
// published again, which JetStream drops by Nats-Msg-Id (the same case as a
// relay killed between publish and delete). The producers' commits, which do
// need durability, then do not queue behind the relay's.
const deleteDone = `WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
DELETE FROM outbox_events WHERE seq = ANY($1::bigint[]) AND (SELECT count(*) FROM async) > 0`

const moveDead = `WITH d AS (
	DELETE FROM outbox_events e USING unnest($1::bigint[], $2::text[]) AS u(seq, reason)
	WHERE e.seq = u.seq
	RETURNING e.seq, e.id, e.aggregate_type, e.aggregate_id, e.event_type, e.payload, e.headers, e.created_at, u.reason)
INSERT INTO outbox_dead_letters (seq, id, aggregate_type, aggregate_id, event_type, payload, headers, created_at, reason)
SELECT * FROM d ON CONFLICT (seq) DO NOTHING`

// finish deletes the published rows and moves the dead ones to the
// dead-letter table in one transaction.
func (r *Relay) finish(ctx context.Context, res publishResult) error {
	if len(res.done) == 0 && len(res.dead) == 0 {
		return nil
	}
	var err error
	if len(res.dead) == 0 {
		// One statement is atomic on its own: no BEGIN/COMMIT round trips.
		_, err = r.db.Exec(ctx, deleteDone, res.done)
	} else {
		err = pgx.BeginFunc(ctx, r.db, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			if len(res.done) > 0 {
				b.Queue(deleteDone, res.done)
			}
			b.Queue(moveDead, res.dead, res.reason)
			return tx.SendBatch(ctx, b).Close()
		})
	}
	if err != nil {
		return fmt.Errorf("outbox relay: marking %d events relayed: %w", len(res.done)+len(res.dead), err)
	}
	r.dead.Add(int64(len(res.dead)))
	return nil
}
