// Package paymentstore is the payments service's data access: one payment
// per order, captured or failed, in the service's own PostgreSQL database,
// with the goose migrations that create it.
package paymentstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/centuria/centuria/libs/platform/postgres"
	money "github.com/centuria/centuria/libs/shared/util-money"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the goose migrations of the payments schema.
func Migrations() fs.FS {
	return postgres.MigrationsDir(migrations, "migrations")
}

// Status is a payment's result.
type Status string

// Payment results.
const (
	StatusCaptured Status = "captured"
	StatusFailed   Status = "failed"
)

// Payment is the one charge attempt recorded for an order.
type Payment struct {
	ID      string
	OrderID string
	Status  Status
	Amount  money.Money
	// Reason says why a failed payment failed.
	Reason string
	// ProviderRef is the provider's reference of a captured payment.
	ProviderRef string
	CreatedAt   time.Time
}

// DBTX runs statements; pgx.Tx, *pgx.Conn and *pgxpool.Pool satisfy it.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Record writes p unless its order already has a payment; inserted says
// which. Run it in the transaction that adds the payment's event.
func Record(ctx context.Context, db DBTX, p Payment) (inserted bool, err error) {
	tag, err := db.Exec(ctx, `INSERT INTO payments (id, order_id, status, amount_cents, currency, reason, provider_ref, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id) DO NOTHING`,
		p.ID, p.OrderID, string(p.Status), p.Amount.Cents, p.Amount.Currency, p.Reason, p.ProviderRef, p.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("recording payment of order %s: %w", p.OrderID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// GetByOrder returns the payment of the order, wrapping ErrNotFound when
// there is none.
func GetByOrder(ctx context.Context, db DBTX, orderID string) (Payment, error) {
	var p Payment
	var status string
	err := db.QueryRow(ctx, `SELECT id::text, order_id::text, status, amount_cents, currency, reason, provider_ref, created_at
FROM payments WHERE order_id = $1`, orderID).Scan(&p.ID, &p.OrderID, &status, &p.Amount.Cents, &p.Amount.Currency, &p.Reason, &p.ProviderRef, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, fmt.Errorf("payment of order %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return Payment{}, fmt.Errorf("reading payment of order %s: %w", orderID, err)
	}
	p.Status = Status(status)
	return p, nil
}
