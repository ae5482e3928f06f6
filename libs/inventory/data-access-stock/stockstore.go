// Package stockstore is the inventory service's data access: stock levels
// per SKU and the reservations held for orders, in the service's own
// PostgreSQL database, with the goose migrations that create them.
package stockstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/centuria/centuria/libs/platform/postgres"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the goose migrations of the inventory schema.
func Migrations() fs.FS {
	return postgres.MigrationsDir(migrations, "migrations")
}

// MaxAvailable is the largest stock level Set accepts.
const MaxAvailable = 1_000_000_000_000

// Stock is the level of one SKU: Available units can be reserved, Reserved
// units are held for orders.
type Stock struct {
	SKU       string
	Available int64
	Reserved  int64
	UpdatedAt time.Time
}

// DBTX runs statements; pgx.Tx, *pgx.Conn and *pgxpool.Pool satisfy it.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Set sets the units of sku available for reservation (reserved units are
// left alone) and returns the new level. It wraps ErrInvalid for a bad SKU
// or a level outside 0..MaxAvailable.
func Set(ctx context.Context, db DBTX, sku string, available int64, now time.Time) (Stock, error) {
	if err := orderflow.ValidateSKU(sku); err != nil {
		return Stock{}, fmt.Errorf("%w: sku: %v", ErrInvalid, err)
	}
	if available < 0 || available > MaxAvailable {
		return Stock{}, fmt.Errorf("%w: available: %d not in 0..%d", ErrInvalid, available, int64(MaxAvailable))
	}
	var s Stock
	err := db.QueryRow(ctx, `INSERT INTO stock (sku, available, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (sku) DO UPDATE SET available = EXCLUDED.available, updated_at = EXCLUDED.updated_at
RETURNING sku, available, reserved, updated_at`, sku, available, now).Scan(&s.SKU, &s.Available, &s.Reserved, &s.UpdatedAt)
	if err != nil {
		return Stock{}, fmt.Errorf("setting stock of %s: %w", sku, err)
	}
	return s, nil
}

// Get returns the level of sku, wrapping ErrNotFound when it was never set.
func Get(ctx context.Context, db DBTX, sku string) (Stock, error) {
	var s Stock
	err := db.QueryRow(ctx, `SELECT sku, available, reserved, updated_at FROM stock WHERE sku = $1`, sku).
		Scan(&s.SKU, &s.Available, &s.Reserved, &s.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Stock{}, fmt.Errorf("sku %s: %w", sku, ErrNotFound)
	}
	if err != nil {
		return Stock{}, fmt.Errorf("reading stock of %s: %w", sku, err)
	}
	return s, nil
}
