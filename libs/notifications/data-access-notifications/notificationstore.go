// Package notificationstore is the notifications service's data access:
// the notifications sent about each order, in the service's own PostgreSQL
// database, with the goose migrations that create them.
package notificationstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the goose migrations of the notifications schema.
func Migrations() fs.FS {
	return postgres.MigrationsDir(migrations, "migrations")
}

// Kind is what a notification is about.
type Kind string

// Kinds of notifications.
const (
	KindOrderConfirmed Kind = "order_confirmed"
	KindOrderCancelled Kind = "order_cancelled"
)

// Notification is one message sent to a customer about an order.
type Notification struct {
	ID         string
	OrderID    string
	CustomerID string
	Kind       Kind
	Message    string
	// Sink names where it was sent ("log").
	Sink      string
	CreatedAt time.Time
}

// DBTX runs statements; pgx.Tx, *pgx.Conn and *pgxpool.Pool satisfy it.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Record writes n unless the order already has a notification of its kind;
// inserted says which.
func Record(ctx context.Context, db DBTX, n Notification) (inserted bool, err error) {
	tag, err := db.Exec(ctx, `INSERT INTO notifications (id, order_id, customer_id, kind, message, sink, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id, kind) DO NOTHING`,
		n.ID, n.OrderID, n.CustomerID, string(n.Kind), n.Message, n.Sink, n.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("recording notification for order %s: %w", n.OrderID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ListByOrder returns the order's notifications, oldest first (none for an
// unknown order).
func ListByOrder(ctx context.Context, db DBTX, orderID string) ([]Notification, error) {
	rows, err := db.Query(ctx, `SELECT id::text, order_id::text, customer_id, kind, message, sink, created_at
FROM notifications WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("listing notifications of order %s: %w", orderID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) {
		var n Notification
		var kind string
		err := r.Scan(&n.ID, &n.OrderID, &n.CustomerID, &kind, &n.Message, &n.Sink, &n.CreatedAt)
		n.Kind = Kind(kind)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing notifications of order %s: %w", orderID, err)
	}
	return list, nil
}
