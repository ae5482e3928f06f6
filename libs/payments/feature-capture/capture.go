// Package capture charges reserved orders through a payment Provider (a
// simulated one by default) and serves GET /payments/{order_id}. A
// stock.reserved event leads to one recorded payment per order and a
// payment.captured or payment.failed event, written in the transaction that
// records the consumed event in the inbox.
package capture

import (
	"context"
	"errors"
	"strings"
	"time"

	paymentstore "github.com/centuria/centuria/libs/payments/data-access-payments"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/outbox"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// DurableInventory is the payments service's consumer of the inventory
// stream.
const DurableInventory = "payments-inventory"

// Capturer charges orders.
type Capturer struct {
	provider Provider
	now      func() time.Time
}

// New returns a Capturer charging through provider; now stamps payments
// (nil: time.Now).
func New(provider Provider, now func() time.Time) *Capturer {
	if now == nil {
		now = time.Now
	}
	return &Capturer{provider: provider, now: now}
}

// Subscriptions returns the consumer the payments service runs: reserved
// stock from the inventory stream.
func (c *Capturer) Subscriptions() []orderflow.Subscription {
	return []orderflow.Subscription{
		{Stream: orderflow.StreamInventory, Durable: DurableInventory, Types: []string{orderflow.TypeStockReserved}, Register: func(sub *events.Subscriber) error {
			return errors.Join(
				orderflow.Handle(sub, orderflow.TypeStockReserved, c.stockReserved),
				orderflow.Ignore(sub, orderflow.TypeStockRejected, orderflow.TypeStockReleased),
			)
		}},
	}
}

func (c *Capturer) stockReserved(ctx context.Context, tx pgx.Tx, ev events.Event[orderflow.StockReserved]) error {
	p := ev.Data
	if _, err := paymentstore.GetByOrder(ctx, tx, p.OrderID); err == nil {
		return nil // charged before (a republished event); the inbox saw another id
	} else if !errors.Is(err, paymentstore.ErrNotFound) {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	pay := paymentstore.Payment{ID: id.String(), OrderID: p.OrderID, Amount: p.Total, CreatedAt: c.now().UTC()}
	ref, err := c.provider.Charge(ctx, p.OrderID, p.Total)
	switch {
	case errors.Is(err, ErrDeclined):
		pay.Status, pay.Reason = paymentstore.StatusFailed, strings.TrimPrefix(err.Error(), ErrDeclined.Error()+": ")
	case err != nil:
		return err // provider unavailable: retry with backoff
	default:
		pay.Status, pay.ProviderRef = paymentstore.StatusCaptured, ref
	}
	inserted, err := paymentstore.Record(ctx, tx, pay)
	if err != nil || !inserted {
		return err
	}
	var out outbox.Event
	if pay.Status == paymentstore.StatusCaptured {
		out, err = orderflow.NewEvent(orderflow.AggregatePayment, p.OrderID, orderflow.TypePaymentCaptured,
			orderflow.PaymentCaptured{OrderID: p.OrderID, PaymentID: pay.ID, Amount: pay.Amount})
	} else {
		out, err = orderflow.NewEvent(orderflow.AggregatePayment, p.OrderID, orderflow.TypePaymentFailed,
			orderflow.PaymentFailed{OrderID: p.OrderID, PaymentID: pay.ID, Amount: pay.Amount, Reason: pay.Reason})
	}
	if err != nil {
		return err
	}
	return outbox.Add(ctx, tx, out)
}
