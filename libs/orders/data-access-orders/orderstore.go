// Package orderstore is the orders service's data access: the orders and
// their lines in the service's own PostgreSQL database, and the goose
// migrations that create them.
package orderstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/centuria/centuria/libs/platform/postgres"
	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the goose migrations of the orders schema.
func Migrations() fs.FS {
	return postgres.MigrationsDir(migrations, "migrations")
}

// Status is where an order is in its life.
type Status string

// The statuses: pending until stock and payment settle it, then confirmed
// or cancelled for good.
const (
	StatusPending   Status = "pending"
	StatusConfirmed Status = "confirmed"
	StatusCancelled Status = "cancelled"
)

// Order is one customer order.
type Order struct {
	ID         string
	CustomerID string
	Status     Status
	// Reason is set when cancelled (orderflow.ReasonOutOfStock...).
	Reason string
	// Detail explains the reason for people.
	Detail    string
	Items     []orderflow.Item
	Total     money.Money
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DBTX runs statements; pgx.Tx, *pgx.Conn and *pgxpool.Pool satisfy it.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Insert writes o and its lines; run it in the transaction that also adds
// the order.placed event. It wraps ErrDuplicate when the id exists.
func Insert(ctx context.Context, db DBTX, o Order) error {
	_, err := db.Exec(ctx, `INSERT INTO orders (id, customer_id, status, reason, detail, currency, total_cents, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
		o.ID, o.CustomerID, string(o.Status), o.Reason, o.Detail, o.Total.Currency, o.Total.Cents, o.CreatedAt)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return fmt.Errorf("inserting order %s: %w", o.ID, ErrDuplicate)
		}
		return fmt.Errorf("inserting order %s: %w", o.ID, err)
	}
	lines, skus := make([]int32, len(o.Items)), make([]string, len(o.Items))
	qty, price := make([]int64, len(o.Items)), make([]int64, len(o.Items))
	for i, it := range o.Items {
		lines[i], skus[i], qty[i], price[i] = int32(i), it.SKU, it.Quantity, it.UnitPriceCents
	}
	_, err = db.Exec(ctx, `INSERT INTO order_items (order_id, line, sku, quantity, unit_price_cents)
SELECT $1, * FROM unnest($2::int[], $3::text[], $4::bigint[], $5::bigint[])`, o.ID, lines, skus, qty, price)
	if err != nil {
		return fmt.Errorf("inserting the lines of order %s: %w", o.ID, err)
	}
	return nil
}

const selectOrder = `SELECT id::text, customer_id, status, reason, detail, currency, total_cents, created_at, updated_at FROM orders`

func scanOrder(row pgx.Row) (Order, error) {
	var o Order
	var status string
	err := row.Scan(&o.ID, &o.CustomerID, &status, &o.Reason, &o.Detail, &o.Total.Currency, &o.Total.Cents, &o.CreatedAt, &o.UpdatedAt)
	o.Status = Status(status)
	return o, err
}

// Get returns the order with id, wrapping ErrNotFound when there is none.
func Get(ctx context.Context, db DBTX, id string) (Order, error) {
	o, err := scanOrder(db.QueryRow(ctx, selectOrder+` WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Order{}, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Order{}, fmt.Errorf("reading order %s: %w", id, err)
	}
	if err := loadItems(ctx, db, []*Order{&o}); err != nil {
		return Order{}, err
	}
	return o, nil
}

// ListByCustomer returns the customer's newest orders first, at most limit.
func ListByCustomer(ctx context.Context, db DBTX, customerID string, limit int) ([]Order, error) {
	rows, err := db.Query(ctx, selectOrder+` WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing orders: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Order, error) { return scanOrder(r) })
	if err != nil {
		return nil, fmt.Errorf("listing orders: %w", err)
	}
	ptrs := make([]*Order, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	if err := loadItems(ctx, db, ptrs); err != nil {
		return nil, err
	}
	return list, nil
}

func loadItems(ctx context.Context, db DBTX, orders []*Order) error {
	if len(orders) == 0 {
		return nil
	}
	byID := make(map[string]*Order, len(orders))
	ids := make([]string, len(orders))
	for i, o := range orders {
		byID[o.ID], ids[i] = o, o.ID
		o.Items = []orderflow.Item{}
	}
	rows, err := db.Query(ctx, `SELECT order_id::text, sku, quantity, unit_price_cents FROM order_items
WHERE order_id = ANY($1::text[]::uuid[]) ORDER BY order_id, line`, ids)
	if err != nil {
		return fmt.Errorf("reading order lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var it orderflow.Item
		if err := rows.Scan(&id, &it.SKU, &it.Quantity, &it.UnitPriceCents); err != nil {
			return fmt.Errorf("reading order lines: %w", err)
		}
		byID[id].Items = append(byID[id].Items, it)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading order lines: %w", err)
	}
	return nil
}

// Settle moves a pending order to status (confirmed or cancelled) with the
// reason and detail, and returns the order. changed is false, and nothing is
// written, when the order was already settled: outcomes arrive at least once
// and the first one wins. It wraps ErrNotFound for an unknown id.
func Settle(ctx context.Context, db DBTX, id string, status Status, reason, detail string, now time.Time) (o Order, changed bool, err error) {
	if status != StatusConfirmed && status != StatusCancelled {
		return Order{}, false, fmt.Errorf("settling order %s: status %q is not confirmed or cancelled", id, status)
	}
	o, err = scanOrder(db.QueryRow(ctx, `UPDATE orders SET status = $2, reason = $3, detail = $4, updated_at = $5
WHERE id = $1 AND status = 'pending'
RETURNING id::text, customer_id, status, reason, detail, currency, total_cents, created_at, updated_at`,
		id, string(status), reason, detail, now))
	if errors.Is(err, pgx.ErrNoRows) {
		o, err = Get(ctx, db, id)
		return o, false, err
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("settling order %s: %w", id, err)
	}
	return o, true, nil
}
