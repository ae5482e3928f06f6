package outbox

import (
	"context"
	"fmt"
	"time"
)

// The relay reads the outbox in seq order without a cursor, so that a
// transaction that commits late is relayed rather than skipped. But deleted
// rows stay in the primary-key index until vacuum removes them, and a scan
// from the lowest seq walks past every one of them: between two autovacuum
// runs that is up to a minute of relayed events on every cycle. The scan
// floor bounds the scan from below by a seq no event can appear at or below
// any more.
//
// Why that is safe. Add draws a row's seq only after its transaction has an
// id (the insert's one-time filter calls pg_current_xact_id), and the
// identity sequence hands out values in the order they are drawn (CACHE 1,
// which the per-aggregate order needs anyway). A horizon step reads the
// sequence's last value L and then takes a transaction id X of its own, so
// every transaction that drew a seq <= L had an id below X. A later step
// whose snapshot's xmin exceeds X therefore sees every transaction that drew
// a seq <= L finished: committed (visible to it) or rolled back. If the
// smallest visible seq above the floor is m, no row at or below
// min(L, m-1) can ever become visible, and the floor moves there.
const floorStep = `WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
last AS MATERIALIZED (SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('outbox_events', 'seq')::regclass), 0) AS seq FROM async)
SELECT last.seq, pg_current_xact_id()::text,
	$2::text <> '' AND pg_snapshot_xmin(pg_current_snapshot()) > $2::text::xid8,
	(SELECT min(seq) FROM outbox_events WHERE seq > $1)
FROM last`

// The relay takes a horizon step every floorEvery, or floorRetry after a
// failed one (the scan then starts lower, which is only slower).
//
// Every floorRescan the floor drops back to zero for one scan. That is the
// safety net under the argument above for rows written by anything other
// than this Add: a writer built before Add drew its seq after its
// transaction id (a rolling deploy runs old writers beside a new relay), a
// hand-written INSERT, another language's client. Such a row, committed
// below the floor, is relayed at most floorRescan late instead of never.
// Per-aggregate order still holds: writers of one aggregate are serialised
// by its advisory lock, so no later event of the row's aggregate can have
// been relayed before it.
const (
	floorEvery  = 100 * time.Millisecond
	floorRetry  = 30 * time.Second
	floorRescan = 10 * time.Second
)

// scanFloor is the relay's lower bound on the seqs still to read.
type scanFloor struct {
	seq   int64     // no event at or below seq can appear any more
	last  int64     // the sequence's last value at the previous step
	xid   string    // the previous step's transaction id ('' before the first)
	next  time.Time // when the next step is due
	every time.Duration
	// rescan is when the floor next drops to zero for one scan, and
	// rescanEvery how often it does (floorRescan).
	rescan      time.Time
	rescanEvery time.Duration
}

// advanceFloor takes a horizon step when one is due: it moves the floor up
// to what the previous step saw, if every transaction that could still add
// a row at or below that has finished, and records the horizon for the next
// step. Its transaction commits without waiting for the WAL flush: it
// writes nothing. An error leaves the floor where it was.
func (r *Relay) advanceFloor(ctx context.Context) error {
	f := &r.floor
	now := r.now()
	if !now.Before(f.rescan) {
		f.seq, f.rescan = 0, now.Add(f.rescanEvery)
	}
	if now.Before(f.next) {
		return nil
	}
	var last int64
	var xid string
	var finished bool
	var lowest *int64
	if err := r.db.QueryRow(ctx, floorStep, f.seq, f.xid).Scan(&last, &xid, &finished, &lowest); err != nil {
		f.next = now.Add(floorRetry)
		return fmt.Errorf("outbox relay: scan floor: %w", err)
	}
	if finished {
		next := f.last
		if lowest != nil {
			next = min(next, *lowest-1)
		}
		f.seq = max(f.seq, next)
	}
	f.last, f.xid, f.next = last, xid, now.Add(f.every)
	return nil
}
