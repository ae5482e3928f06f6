package outbox

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// TestSeqFollowsCommitOrder holds a transaction that wrote an event of
// aggregate A open while a second writer of A waits for it, and commits an
// event of another aggregate meanwhile: the waiting writer's events must be
// numbered after both, i.e. the advisory lock is taken before the seq is
// drawn, for one event per call and for several.
func TestSeqFollowsCommitOrder(t *testing.T) {
	for _, mode := range platformtest.Modes {
		for _, many := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/many=%v", mode, many), func(t *testing.T) {
				db, _ := platformtest.DB(t, mode)
				ctx := context.Background()
				testenv.Must(t, EnsureSchema(ctx, db.Pool), "schema")
				first := []Event{ev(t, "order", "A", "order.updated", map[string]int{"n": 1})}
				second := []Event{ev(t, "order", "A", "order.updated", map[string]int{"n": 2})}
				if many {
					first = append(first, ev(t, "order", "C", "order.updated", map[string]int{"n": 1}))
					second = append([]Event{ev(t, "order", "B", "order.updated", map[string]int{"n": 1})}, second...)
				}
				for _, evs := range [][]Event{first, second} {
					for i := range evs {
						evs[i].ID = uuid.New()
					}
				}
				tx1, err := db.Pool.Begin(ctx)
				testenv.Must(t, err, "begin 1")
				defer tx1.Rollback(ctx)
				testenv.Must(t, Add(ctx, tx1, first...), "add 1")

				added := make(chan error, 1)
				commit2 := make(chan struct{})
				done := make(chan error, 1)
				go func() {
					done <- pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
						err := Add(ctx, tx, second...)
						added <- err
						<-commit2
						return err
					})
				}()
				waitForAdvisoryWaiter(t, db)
				select {
				case err := <-added:
					t.Fatalf("second writer of A did not wait for the first (err %v)", err)
				default:
				}
				other := ev(t, "order", "D", "order.updated", map[string]int{"n": 1})
				other.ID = uuid.New()
				testenv.Must(t, pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error { return Add(ctx, tx, other) }), "add other")
				testenv.Must(t, tx1.Commit(ctx), "commit 1")
				select {
				case err := <-added:
					testenv.Must(t, err, "add 2")
				case <-time.After(30 * time.Second):
					t.Fatal("second writer still waits after the first committed")
				}
				close(commit2)
				testenv.Must(t, <-done, "commit 2")

				seqs := func(evs ...Event) (lo, hi int64) {
					ids := make([]string, len(evs))
					for i, e := range evs {
						ids[i] = e.ID.String()
					}
					testenv.Must(t, db.Pool.QueryRow(ctx, "SELECT min(seq), max(seq) FROM outbox_events WHERE id::text = ANY($1)", ids).Scan(&lo, &hi), "seqs")
					return lo, hi
				}
				_, firstHi := seqs(first...)
				otherLo, otherHi := seqs(other)
				secondLo, _ := seqs(second...)
				if !(firstHi < otherLo && otherHi < secondLo) {
					t.Fatalf("first writer's seqs end at %d, other aggregate's is %d, waiting writer's start at %d: the waiting writer drew its seq before the lock",
						firstHi, otherLo, secondLo)
				}
			})
		}
	}
}

// waitForAdvisoryWaiter waits until a session of db's database waits for an
// advisory lock.
func waitForAdvisoryWaiter(t *testing.T, db *postgres.DB) {
	t.Helper()
	platformtest.Eventually(t, "a writer waiting for the aggregate lock", func() bool {
		var n int
		testenv.Must(t, db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n), "pg_locks")
		return n > 0
	})
}

// TestScanFloorKeepsLateCommits holds a transaction that wrote an event
// open while later events are committed and relayed and the relay takes a
// horizon step every cycle: the floor must stay below the open event, which
// is relayed once it commits, and then rise past everything relayed.
func TestScanFloorKeepsLateCommits(t *testing.T) {
	for _, mode := range platformtest.Modes {
		t.Run(string(mode), func(t *testing.T) {
			e := setup(t, mode)
			ctx := context.Background()
			r := e.relay(t, RelayConfig{})
			r.floor.every, r.floor.rescanEvery = 0, time.Hour
			late, err := e.db.Pool.Begin(ctx)
			testenv.Must(t, err, "begin")
			defer late.Rollback(ctx)
			testenv.Must(t, Add(ctx, late, ev(t, "order", "late", "order.created", 0)), "add late")
			var lateSeq int64
			testenv.Must(t, late.QueryRow(ctx, "SELECT max(seq) FROM outbox_events").Scan(&lateSeq), "late seq")
			for i := range 5 {
				e.commit(t, func(tx pgx.Tx) error { return Add(ctx, tx, ev(t, "order", "early", "order.created", i+1)) })
				if n, err := r.RelayOnce(ctx); n != 1 || err != nil {
					t.Fatalf("cycle %d relayed %d, %v; want the committed event", i, n, err)
				}
				if r.floor.seq >= lateSeq {
					t.Fatalf("cycle %d: floor %d reached the open transaction's seq %d", i, r.floor.seq, lateSeq)
				}
			}
			testenv.Must(t, late.Commit(ctx), "commit late")
			if n, err := r.RelayOnce(ctx); n != 1 || err != nil {
				t.Fatalf("relayed %d, %v after the late commit; want it", n, err)
			}
			var last int64
			testenv.Must(t, e.db.Pool.QueryRow(ctx, "SELECT last_value FROM outbox_events_seq_seq").Scan(&last), "last seq")
			// The floor rises once the oldest transaction in the whole
			// cluster is newer than the step's: other tests' transactions
			// running in parallel can hold it back for a while.
			for deadline := time.Now().Add(15 * time.Second); r.floor.seq != last; {
				if time.Now().After(deadline) {
					t.Fatalf("floor %d after everything up to %d was relayed", r.floor.seq, last)
				}
				if n, err := r.RelayOnce(ctx); n != 0 || err != nil {
					t.Fatalf("idle cycle relayed %d, %v", n, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if n := len(platformtest.ReadStream(t, e.js, e.stream)); n != 6 {
				t.Fatalf("stream has %d events, want 6", n)
			}
		})
	}
}

// TestScanFloorRescanFindsForeignRows: a row that did not come through this
// Add (an older writer during a rolling deploy, a hand-written INSERT) can
// commit below the floor; the periodic rescan relays it.
func TestScanFloorRescanFindsForeignRows(t *testing.T) {
	e := setup(t, platformtest.Direct)
	ctx := context.Background()
	r := e.relay(t, RelayConfig{})
	r.floor.every, r.floor.rescanEvery = 0, time.Hour
	for i := range 3 {
		e.commit(t, func(tx pgx.Tx) error { return Add(ctx, tx, ev(t, "order", "o"+strconv.Itoa(i), "order.created", i)) })
	}
	// Other tests' transactions in the cluster can hold the floor back.
	for deadline := time.Now().Add(15 * time.Second); r.floor.seq < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("floor %d after three relayed events", r.floor.seq)
		}
		if _, err := r.RelayOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// A row numbered below the floor, as a writer that drew its seq before
	// its transaction id could commit it.
	_, err := e.db.Pool.Exec(ctx, `INSERT INTO outbox_events (seq, id, aggregate_type, aggregate_id, event_type, payload, created_at)
OVERRIDING SYSTEM VALUE VALUES (1, gen_random_uuid(), 'order', 'foreign', 'order.created', '{}', now())`)
	testenv.Must(t, err, "insert below the floor")
	if n, err := r.RelayOnce(ctx); n != 0 || err != nil {
		t.Fatalf("relayed %d, %v: the row is below the floor until the rescan", n, err)
	}
	r.floor.rescan = time.Time{} // the rescan is due
	if n, err := r.RelayOnce(ctx); n != 1 || err != nil {
		t.Fatalf("rescan relayed %d, %v; want the row below the floor", n, err)
	}
	if n := len(platformtest.ReadStream(t, e.js, e.stream)); n != 4 {
		t.Fatalf("stream has %d events, want 4", n)
	}
}
