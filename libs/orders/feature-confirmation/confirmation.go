// Package confirmation settles pending orders from the outcomes of the
// flow: a stock rejection or a failed payment cancels the order (with the
// reason), a captured payment confirms it. Each change writes
// order.confirmed or order.cancelled to the outbox in the same transaction
// as the status, and only the first outcome for an order counts.
package confirmation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	orderstore "github.com/centuria/centuria/libs/orders/data-access-orders"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/outbox"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/jackc/pgx/v5"
)

// Durable consumer names of the orders service.
const (
	DurableInventory = "orders-inventory"
	DurablePayments  = "orders-payments"
)

// Confirmer settles orders.
type Confirmer struct {
	now func() time.Time
}

// New returns a Confirmer; now stamps the changes (nil: time.Now).
func New(now func() time.Time) *Confirmer {
	if now == nil {
		now = time.Now
	}
	return &Confirmer{now: now}
}

// Subscriptions returns the consumers the orders service runs: stock
// outcomes from the inventory stream and payment outcomes from the payments
// stream.
func (c *Confirmer) Subscriptions() []orderflow.Subscription {
	return []orderflow.Subscription{
		{Stream: orderflow.StreamInventory, Durable: DurableInventory, Types: []string{orderflow.TypeStockRejected}, Register: func(sub *events.Subscriber) error {
			return errors.Join(
				orderflow.Handle(sub, orderflow.TypeStockRejected, c.stockRejected),
				orderflow.Ignore(sub, orderflow.TypeStockReserved, orderflow.TypeStockReleased),
			)
		}},
		{Stream: orderflow.StreamPayments, Durable: DurablePayments, Types: []string{orderflow.TypePaymentCaptured, orderflow.TypePaymentFailed}, Register: func(sub *events.Subscriber) error {
			return errors.Join(
				orderflow.Handle(sub, orderflow.TypePaymentCaptured, c.paymentCaptured),
				orderflow.Handle(sub, orderflow.TypePaymentFailed, c.paymentFailed),
			)
		}},
	}
}

func (c *Confirmer) stockRejected(ctx context.Context, tx pgx.Tx, ev events.Event[orderflow.StockRejected]) error {
	var parts []string
	for _, s := range ev.Data.Shortages {
		parts = append(parts, fmt.Sprintf("%s: requested %d, available %d", s.SKU, s.Requested, s.Available))
	}
	return c.settle(ctx, tx, ev.Data.OrderID, orderstore.StatusCancelled, orderflow.ReasonOutOfStock, strings.Join(parts, "; "))
}

func (c *Confirmer) paymentCaptured(ctx context.Context, tx pgx.Tx, ev events.Event[orderflow.PaymentCaptured]) error {
	return c.settle(ctx, tx, ev.Data.OrderID, orderstore.StatusConfirmed, "", "")
}

func (c *Confirmer) paymentFailed(ctx context.Context, tx pgx.Tx, ev events.Event[orderflow.PaymentFailed]) error {
	return c.settle(ctx, tx, ev.Data.OrderID, orderstore.StatusCancelled, orderflow.ReasonPaymentFailed, ev.Data.Reason)
}

// settle moves the order and adds its event in tx. An unknown order is a
// permanent error: the outcome can only name an order that was committed
// before it.
func (c *Confirmer) settle(ctx context.Context, tx pgx.Tx, id string, status orderstore.Status, reason, detail string) error {
	o, changed, err := orderstore.Settle(ctx, tx, id, status, reason, detail, c.now().UTC())
	if errors.Is(err, orderstore.ErrNotFound) {
		return events.Permanent(err)
	}
	if err != nil || !changed {
		return err
	}
	var ev outbox.Event
	if status == orderstore.StatusConfirmed {
		ev, err = orderflow.NewEvent(orderflow.AggregateOrder, o.ID, orderflow.TypeOrderConfirmed,
			orderflow.OrderConfirmed{OrderID: o.ID, CustomerID: o.CustomerID, Total: o.Total})
	} else {
		ev, err = orderflow.NewEvent(orderflow.AggregateOrder, o.ID, orderflow.TypeOrderCancelled,
			orderflow.OrderCancelled{OrderID: o.ID, CustomerID: o.CustomerID, Reason: reason, Detail: detail})
	}
	if err != nil {
		return err
	}
	return outbox.Add(ctx, tx, ev)
}
