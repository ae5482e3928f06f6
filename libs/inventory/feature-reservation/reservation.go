// Package reservation holds stock for placed orders and gives it back when
// their payment fails. An order.placed reserves every item or none and
// emits stock.reserved or stock.rejected; a payment.failed releases the
// order's reservation once and emits stock.released. Each decision and its
// event are written in the transaction that records the consumed event in
// the inbox, so a redelivery changes nothing.
package reservation

import (
	"context"
	"errors"
	"time"

	stockstore "github.com/centuria/centuria/libs/inventory/data-access-stock"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/outbox"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/jackc/pgx/v5"
)

// Durable consumer names of the inventory service.
const (
	DurableOrders   = "inventory-orders"
	DurablePayments = "inventory-payments"
)

// Reserver reserves and releases stock for orders.
type Reserver struct {
	now func() time.Time
}

// New returns a Reserver; now stamps the changes (nil: time.Now).
func New(now func() time.Time) *Reserver {
	if now == nil {
		now = time.Now
	}
	return &Reserver{now: now}
}

// Subscriptions returns the consumers the inventory service runs: placed
// orders from the orders stream and failed payments from the payments
// stream.
func (r *Reserver) Subscriptions() []orderflow.Subscription {
	return []orderflow.Subscription{
		{Stream: orderflow.StreamOrders, Durable: DurableOrders, Types: []string{orderflow.TypeOrderPlaced}, Register: func(sub *events.Subscriber) error {
			return errors.Join(
				orderflow.Handle(sub, orderflow.TypeOrderPlaced, r.orderPlaced),
				orderflow.Ignore(sub, orderflow.TypeOrderConfirmed, orderflow.TypeOrderCancelled),
			)
		}},
		{Stream: orderflow.StreamPayments, Durable: DurablePayments, Types: []string{orderflow.TypePaymentFailed}, Register: func(sub *events.Subscriber) error {
			return errors.Join(
				orderflow.Handle(sub, orderflow.TypePaymentFailed, r.paymentFailed),
				orderflow.Ignore(sub, orderflow.TypePaymentCaptured),
			)
		}},
	}
}

func (r *Reserver) orderPlaced(ctx context.Context, tx pgx.Tx, ev events.Event[orderflow.OrderPlaced]) error {
	p := ev.Data
	outcome, short, err := stockstore.Reserve(ctx, tx, p.OrderID, p.Items, r.now().UTC())
	if err != nil {
		return err
	}
	var out outbox.Event
	switch outcome {
	case stockstore.Duplicate:
		return nil
	case stockstore.Reserved:
		out, err = orderflow.NewEvent(orderflow.AggregateStock, p.OrderID, orderflow.TypeStockReserved, orderflow.StockReserved(p))
	default:
		out, err = orderflow.NewEvent(orderflow.AggregateStock, p.OrderID, orderflow.TypeStockRejected, orderflow.StockRejected{OrderID: p.OrderID, Shortages: short})
	}
	if err != nil {
		return err
	}
	return outbox.Add(ctx, tx, out)
}

func (r *Reserver) paymentFailed(ctx context.Context, tx pgx.Tx, ev events.Event[orderflow.PaymentFailed]) error {
	items, released, err := stockstore.Release(ctx, tx, ev.Data.OrderID, r.now().UTC())
	if err != nil || !released {
		return err
	}
	out, err := orderflow.NewEvent(orderflow.AggregateStock, ev.Data.OrderID, orderflow.TypeStockReleased, orderflow.StockReleased{OrderID: ev.Data.OrderID, Items: items})
	if err != nil {
		return err
	}
	return outbox.Add(ctx, tx, out)
}
