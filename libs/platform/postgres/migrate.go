package postgres

import (
	"context"
	"fmt"
	"io/fs"

	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrate applies the goose migrations found at the root of fsys (usually an
// embed.FS narrowed with fs.Sub) to the database at cfg's direct URL, or its
// pooled URL with the PgBouncer profile when there is no direct URL. It is
// safe to run again: applied versions are skipped. It returns the versions
// applied by this call.
//
// Replicas that start together take turns: on a direct connection the
// migrations run under a session advisory lock; behind PgBouncer in
// transaction mode without a direct URL, where a session lock would not
// hold, under goose's lock table with a lease. A replica waits up to five
// minutes for another to finish, then applies what is left (usually nothing).
func Migrate(ctx context.Context, cfg Config, fsys fs.FS) ([]int64, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	url, bouncer := cfg.DirectURL, false
	if url == "" {
		url, bouncer = cfg.URL, true
	}
	pc, err := Config{URL: url, PgBouncer: bouncer}.withDefaults().poolConfig()
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*pc.ConnConfig)
	defer db.Close()
	var locking goose.ProviderOption
	if bouncer && cfg.PgBouncer {
		l, err := lock.NewPostgresTableLocker(lock.WithTableLockTimeout(500*time.Millisecond, 600))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		locking = goose.WithLocker(l)
	} else {
		l, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		locking = goose.WithSessionLocker(l)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, locking)
	if err != nil {
		return nil, fmt.Errorf("loading migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrating: %w", err)
	}
	var versions []int64
	for _, r := range res {
		versions = append(versions, r.Source.Version)
	}
	return versions, nil
}

// MigrationsDir returns the directory dir of fsys, usually an embed.FS
// holding `//go:embed migrations/*.sql`, as the file system Migrate reads.
// It panics when dir is not a valid path, which an embed pattern rules out.
func MigrationsDir(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("postgres: migrations directory %q: %v", dir, err))
	}
	return sub
}
