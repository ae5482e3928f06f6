// Package postgres is the chassis's PostgreSQL layer: a pgx connection pool
// configured from the environment, with OpenTelemetry spans and pool metrics,
// a readiness check, a PgBouncer transaction-mode profile, per-service
// provisioning (one database and one login role per service) and goose
// migrations from an embedded file system.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// DB is an open connection pool of one service.
type DB struct {
	// Pool is the pgx pool; use it for queries and transactions.
	Pool *pgxpool.Pool
	cfg  Config
}

// Option tunes Open.
type Option func(*options)

type options struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider sets the provider of query spans (default: the global
// provider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tp = tp }
}

// WithMeterProvider sets the provider of pool metrics (default: the global
// provider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.mp = mp }
}

// Open validates cfg, creates the pool with OpenTelemetry tracing and pool
// metrics, and checks that the database answers. Errors wrap
// ErrInvalidConfig or ErrNotReady.
func Open(ctx context.Context, cfg Config, opts ...Option) (*DB, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	pc, err := cfg.poolConfig()
	if err != nil {
		return nil, err
	}
	var topts []otelpgx.Option
	if o.tp != nil {
		topts = append(topts, otelpgx.WithTracerProvider(o.tp))
	}
	if o.mp != nil {
		topts = append(topts, otelpgx.WithMeterProvider(o.mp))
	}
	pc.ConnConfig.Tracer = otelpgx.NewTracer(topts...)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("opening pool: %w", err)
	}
	var sopts []otelpgx.StatsOption
	if o.mp != nil {
		sopts = append(sopts, otelpgx.WithStatsMeterProvider(o.mp))
	}
	if err := otelpgx.RecordStats(pool, sopts...); err != nil {
		pool.Close()
		return nil, fmt.Errorf("registering pool metrics: %w", err)
	}
	db := &DB{Pool: pool, cfg: cfg}
	if err := db.Ready(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Config returns the configuration the pool was opened with, defaults
// applied.
func (db *DB) Config() Config { return db.cfg }

// Close closes every connection of the pool.
func (db *DB) Close() { db.Pool.Close() }

// Ready checks that a connection can be acquired and answers a query, within
// 5 seconds when ctx has no deadline. It returns an error wrapping
// ErrNotReady otherwise; use it as the readiness probe.
func (db *DB) Ready(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	var one int
	if err := db.Pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("%w: %w", ErrNotReady, err)
	}
	return nil
}

// Stats is a snapshot of the pool's counters.
type Stats struct {
	AcquireCount         int64
	AcquireDuration      time.Duration
	EmptyAcquireCount    int64
	CanceledAcquireCount int64
	AcquiredConns        int32
	IdleConns            int32
	TotalConns           int32
	MaxConns             int32
}

// Stats returns the pool's counters; the same figures are exported as
// OpenTelemetry metrics.
func (db *DB) Stats() Stats {
	s := db.Pool.Stat()
	return Stats{
		AcquireCount:         s.AcquireCount(),
		AcquireDuration:      s.AcquireDuration(),
		EmptyAcquireCount:    s.EmptyAcquireCount(),
		CanceledAcquireCount: s.CanceledAcquireCount(),
		AcquiredConns:        s.AcquiredConns(),
		IdleConns:            s.IdleConns(),
		TotalConns:           s.TotalConns(),
		MaxConns:             s.MaxConns(),
	}
}

// ConnectDirect opens a single session connection on the direct URL, for
// LISTEN/NOTIFY, session advisory locks and other session state that
// PgBouncer in transaction mode cannot carry. It wraps ErrInvalidConfig when
// the pool runs through PgBouncer and no DirectURL is configured.
func (db *DB) ConnectDirect(ctx context.Context) (*pgx.Conn, error) {
	if db.cfg.DirectURL == "" {
		return nil, fmt.Errorf("%w: DirectURL: needed for a session connection when running through PgBouncer", ErrInvalidConfig)
	}
	c, err := pgx.Connect(ctx, db.cfg.DirectURL)
	if err != nil {
		return nil, fmt.Errorf("connecting directly: %w", err)
	}
	return c, nil
}
