package postgres_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/jackc/pgx/v5"
)

// BenchmarkPgBouncer500Pools simulates 500 service instances, each with its
// own pool, sharing at most 50 server connections through a real PgBouncer
// in transaction mode. Every operation is a short transaction (insert +
// select), run back to back by every instance ("saturated") and at one per
// second per instance ("paced"). It fails on any error or if PostgreSQL
// ever sees more than 50 connections to the database, and reports latency
// percentiles. Run it with a fixed count:
//
//	go test -run '^$' -bench PgBouncer500Pools -benchtime 10000x ./libs/platform/postgres
func BenchmarkPgBouncer500Pools(b *testing.B) {
	const instances, serverConns = 500, 50
	through := testenv.PgBouncer(b, testenv.PgBouncerOptions{DefaultPoolSize: serverConns, MaxDBConnections: serverConns, MaxClientConn: 4 * instances})
	direct := testenv.Postgres(b)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, direct)
	testenv.Must(b, err, "admin")
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "CREATE TABLE hits (instance int NOT NULL, at timestamptz NOT NULL DEFAULT now())")
	testenv.Must(b, err, "table")

	pools := make([]*postgres.DB, instances)
	var wg sync.WaitGroup
	errs := make(chan error, instances)
	for i := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(ctx, postgres.Config{URL: through(direct), PgBouncer: true, MinConns: 1, MaxConns: 2})
			if err != nil {
				errs <- err
				return
			}
			pools[i] = db
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("opening pool: %v", err)
	}
	defer func() {
		for _, p := range pools {
			p.Close()
		}
	}()

	// Sample the server side: connections PostgreSQL sees for the database.
	var peak atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for sampleCtx.Err() == nil {
			var n int64
			if err := admin.QueryRow(sampleCtx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").Scan(&n); err == nil && n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	tx := func(db *postgres.DB, id int) error {
		return pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO hits (instance) VALUES ($1)", id); err != nil {
				return err
			}
			var n int
			return tx.QueryRow(ctx, "SELECT count(*) FROM hits WHERE instance = $1", id).Scan(&n)
		})
	}
	// saturated: every instance runs transactions back to back.
	b.Run("saturated", func(b *testing.B) {
		runInstances(b, pools, func(i int, _ time.Time) error { return tx(pools[i], i) }, 0)
	})
	// paced: every instance runs one transaction per second, at a random
	// phase, as idle-ish services do.
	b.Run("paced-1tps-each", func(b *testing.B) {
		runInstances(b, pools, func(i int, _ time.Time) error { return tx(pools[i], i) }, time.Second)
	})
	stopSampling()
	<-sampled
	if p := peak.Load(); p > serverConns {
		b.Fatalf("PostgreSQL saw %d connections to the database, limit %d", p, serverConns)
	}
	b.Logf("peak server connections: %d (limit %d)", peak.Load(), serverConns)
}

// runInstances runs b.N operations spread over one goroutine per pool, each
// waiting period between operations when period > 0, and reports latency
// percentiles. Any error fails the benchmark.
func runInstances(b *testing.B, pools []*postgres.DB, op func(instance int, start time.Time) error, period time.Duration) {
	var remaining atomic.Int64
	remaining.Store(int64(b.N))
	var mu sync.Mutex
	var lat []time.Duration
	var failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 64)
			next := time.Now()
			if period > 0 {
				next = next.Add(time.Duration(rand.Int64N(int64(period))))
			}
			for remaining.Add(-1) >= 0 {
				if period > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(period)
				}
				t0 := time.Now()
				if err := op(i, t0); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d transactions failed; first: %v", n, b.N, firstErr.Load())
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	}
	b.ReportMetric(float64(len(pools)), "pools")
}
