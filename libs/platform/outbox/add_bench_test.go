package outbox

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// watermillInsert is how Watermill's SQL publisher (DefaultPostgreSQLSchema)
// writes one message: the baseline a producer pays without an outbox library.
const watermillInsert = `INSERT INTO wm_messages (uuid, payload, metadata, transaction_id) VALUES ($1, $2, $3, pg_current_xact_id())`

const watermillSchema = `CREATE TABLE IF NOT EXISTS wm_messages (
	"offset" BIGSERIAL,
	"uuid" VARCHAR(36) NOT NULL,
	"created_at" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	"payload" JSON DEFAULT NULL,
	"metadata" JSON DEFAULT NULL,
	"transaction_id" xid8 NOT NULL,
	PRIMARY KEY ("transaction_id", "offset")
)`

// writeFunc writes events in tx.
type writeFunc func(ctx context.Context, tx pgx.Tx, events []Event) error

// BenchmarkAdd measures the producer side of the outbox: one transaction
// of 1 or 10 events, written one event per call (as a handler that emits an
// event per business row does) or all in one call, by Writer.Add and by a
// plain single-row insert like Watermill's. The session runs with
// synchronous_commit off so that the statements, not the WAL flush, are
// measured; ns/op is per transaction.
func BenchmarkAdd(b *testing.B) {
	for _, mode := range platformtest.Modes {
		b.Run(string(mode), func(b *testing.B) { benchmarkAdd(b, mode) })
	}
}

func benchmarkAdd(b *testing.B, mode platformtest.Mode) {
	ctx := context.Background()
	db, _ := platformtest.DB(b, mode)
	testenv.Must(b, EnsureSchema(ctx, db.Pool), "schema")
	_, err := db.Pool.Exec(ctx, watermillSchema)
	testenv.Must(b, err, "watermill schema")
	payload := []byte(`{"kind":"order.created","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)
	w, err := NewWriter()
	testenv.Must(b, err, "writer")
	variants := []struct {
		name  string
		write writeFunc
	}{
		{"add", func(ctx context.Context, tx pgx.Tx, evs []Event) error { return w.Add(ctx, tx, evs...) }},
		// Add's single-event statement without the wake-up check, and
		// without the lock and the wake-up check: what they cost.
		{"add-no-wakeup", rowInsert(`INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
SELECT $1::uuid, $2::text, $3::text, $4::text, $5::bytea, coalesce($6::jsonb, '{}'), $7::timestamptz
WHERE (SELECT pg_advisory_xact_lock(3303, $8::int4)::text || pg_current_xact_id()::text) <> ''`, true)},
		{"plain-insert", rowInsert(`INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::bytea, coalesce($6::jsonb, '{}'), $7::timestamptz)`, false)},
		{"watermill", func(ctx context.Context, tx pgx.Tx, evs []Event) error {
			for _, e := range evs {
				if _, err := tx.Exec(ctx, watermillInsert, e.ID.String(), string(e.Payload), "{}"); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, size := range []int{1, 10} {
		for _, v := range variants {
			for _, perCall := range []bool{true, false} {
				if size == 1 && !perCall {
					continue
				}
				name := fmt.Sprintf("events=%d/%s", size, v.name)
				if size > 1 && !perCall {
					name += "/one-call"
				}
				b.Run(name, func(b *testing.B) {
					runAdd(b, db.Pool, size, perCall, payload, v.write)
				})
			}
		}
	}
}

// rowInsert writes each event with sql, a single-row insert into
// outbox_events taking Add's parameters ($8, the lock key, when withLock).
func rowInsert(sql string, withLock bool) writeFunc {
	return func(ctx context.Context, tx pgx.Tx, evs []Event) error {
		for _, e := range evs {
			args := []any{pgtype.UUID{Bytes: e.ID, Valid: true}, e.AggregateType, e.AggregateID, e.Type, e.Payload, nil, time.Now()}
			if withLock {
				args = append(args, aggregateLock(e.AggregateType, e.AggregateID))
			}
			if _, err := tx.Exec(ctx, sql, args...); err != nil {
				return err
			}
		}
		return nil
	}
}

func runAdd(b *testing.B, pool *pgxpool.Pool, size int, perCall bool, payload []byte, write writeFunc) {
	ctx := context.Background()
	evs := make([]Event, size)
	pids := backendPIDs(b, pool)
	b.ReportAllocs()
	b.ResetTimer()
	server0, client0 := serverCPU(pids), clientCPU()
	for i := range b.N {
		for k := range evs {
			evs[k] = Event{ID: uuid.Must(uuid.NewV7()), AggregateType: "order", AggregateID: fmt.Sprintf("o-%d", (i*size+k)%64), Type: "order.created", Payload: payload}
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return err
			}
			if !perCall {
				return write(ctx, tx, evs)
			}
			for k := range evs {
				if err := write(ctx, tx, evs[k:k+1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if pids != nil {
		b.ReportMetric(float64(serverCPU(pids)-server0)/float64(b.N)/1e3, "server-µs/op")
	}
	b.ReportMetric(float64(clientCPU()-client0)/float64(b.N)/1e3, "client-µs/op")
}

// backendPIDs returns the process ids of the pool's server connections when
// they are PostgreSQL backends on this machine (not behind PgBouncer).
func backendPIDs(b *testing.B, pool *pgxpool.Pool) []uint32 {
	ctx := context.Background()
	var server uint32
	if err := pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&server); err != nil {
		b.Fatal(err)
	}
	var pids []uint32
	for _, c := range pool.AcquireAllIdle(ctx) {
		pids = append(pids, c.Conn().PgConn().PID())
		c.Release()
	}
	if !slices.Contains(pids, server) {
		return nil // a pooler's connection, not the backend's
	}
	return pids
}

// serverCPU sums the CPU time (ns) the backends have used, from
// /proc/<pid>/schedstat.
func serverCPU(pids []uint32) int64 {
	var sum int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			sum += n
		}
	}
	return sum
}

// clientCPU is the CPU time (ns) this process has used.
func clientCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
