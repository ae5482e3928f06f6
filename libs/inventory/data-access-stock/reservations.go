package stockstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/jackc/pgx/v5"
)

// Outcome is what Reserve decided for an order.
type Outcome string

// Outcomes of Reserve.
const (
	// Reserved: every item is now held for the order.
	Reserved Outcome = "reserved"
	// Rejected: at least one item was short; nothing is held.
	Rejected Outcome = "rejected"
	// Duplicate: the order was decided before; nothing changed.
	Duplicate Outcome = "duplicate"
)

// Reserve holds every item of the order or none, in tx: it locks the
// items' stock rows in SKU order, and if each has enough available units it
// moves the quantities from available to reserved; otherwise it returns the
// shortages (a SKU never set counts as 0 available) and changes no stock.
// An order seen before returns Duplicate and changes nothing, so a
// redelivered or republished order.placed reserves once.
func Reserve(ctx context.Context, tx DBTX, orderID string, items []orderflow.Item, now time.Time) (Outcome, []orderflow.Shortage, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO reservations (order_id, status, created_at) VALUES ($1, 'pending', $2) ON CONFLICT DO NOTHING`, orderID, now)
	if err != nil {
		return "", nil, fmt.Errorf("reserving for order %s: %w", orderID, err)
	}
	if tag.RowsAffected() == 0 {
		return Duplicate, nil, nil
	}
	skus, qty := make([]string, len(items)), make([]int64, len(items))
	want := make(map[string]int64, len(items))
	for i, it := range items {
		skus[i], qty[i] = it.SKU, it.Quantity
		want[it.SKU] += it.Quantity
	}
	rows, err := tx.Query(ctx, `SELECT sku, available FROM stock WHERE sku = ANY($1) ORDER BY sku FOR UPDATE`, skus)
	if err != nil {
		return "", nil, fmt.Errorf("locking stock for order %s: %w", orderID, err)
	}
	have := map[string]int64{}
	for rows.Next() {
		var sku string
		var n int64
		if err := rows.Scan(&sku, &n); err != nil {
			rows.Close()
			return "", nil, fmt.Errorf("locking stock for order %s: %w", orderID, err)
		}
		have[sku] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("locking stock for order %s: %w", orderID, err)
	}
	var short []orderflow.Shortage
	for _, it := range items {
		if have[it.SKU] < want[it.SKU] {
			short = append(short, orderflow.Shortage{SKU: it.SKU, Requested: want[it.SKU], Available: have[it.SKU]})
		}
	}
	status := Reserved
	if len(short) > 0 {
		status = Rejected
	} else {
		if _, err := tx.Exec(ctx, `UPDATE stock s SET available = s.available - r.q, reserved = s.reserved + r.q, updated_at = $3
FROM (SELECT sku, sum(q) AS q FROM unnest($1::text[], $2::bigint[]) AS u(sku, q) GROUP BY sku) r WHERE s.sku = r.sku`, skus, qty, now); err != nil {
			return "", nil, fmt.Errorf("reserving stock for order %s: %w", orderID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO reservation_items (order_id, sku, quantity)
SELECT $1, sku, sum(q) FROM unnest($2::text[], $3::bigint[]) AS u(sku, q) GROUP BY sku`, orderID, skus, qty); err != nil {
			return "", nil, fmt.Errorf("recording the reservation of order %s: %w", orderID, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE reservations SET status = $2 WHERE order_id = $1`, orderID, string(status)); err != nil {
		return "", nil, fmt.Errorf("recording the reservation of order %s: %w", orderID, err)
	}
	return status, short, nil
}

// Release gives back the units held for the order, in tx, and returns
// them. It releases at most once: an order whose reservation was released
// before, was rejected or is unknown returns released false and changes
// nothing.
func Release(ctx context.Context, tx DBTX, orderID string, now time.Time) (items []orderflow.Item, released bool, err error) {
	tag, err := tx.Exec(ctx, `UPDATE reservations SET status = 'released', released_at = $2 WHERE order_id = $1 AND status = 'reserved'`, orderID, now)
	if err != nil {
		return nil, false, fmt.Errorf("releasing order %s: %w", orderID, err)
	}
	if tag.RowsAffected() == 0 {
		return nil, false, nil
	}
	rows, err := tx.Query(ctx, `WITH items AS (SELECT sku, quantity FROM reservation_items WHERE order_id = $1)
UPDATE stock s SET available = s.available + i.quantity, reserved = s.reserved - i.quantity, updated_at = $2
FROM items i WHERE s.sku = i.sku RETURNING s.sku, i.quantity`, orderID, now)
	if err != nil {
		return nil, false, fmt.Errorf("releasing order %s: %w", orderID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var it orderflow.Item
		if err := rows.Scan(&it.SKU, &it.Quantity); err != nil {
			return nil, false, fmt.Errorf("releasing order %s: %w", orderID, err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("releasing order %s: %w", orderID, err)
	}
	return items, true, nil
}

// ReservationStatus returns the status of the order's reservation
// ("reserved", "rejected", "released") or "" when there is none.
func ReservationStatus(ctx context.Context, db DBTX, orderID string) (string, error) {
	var s string
	err := db.QueryRow(ctx, `SELECT status FROM reservations WHERE order_id = $1`, orderID).Scan(&s)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the reservation of order %s: %w", orderID, err)
	}
	return s, nil
}
