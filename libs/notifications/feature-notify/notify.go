// Package notify tells customers how their orders ended: it consumes
// order.confirmed and order.cancelled, records one notification per order
// and outcome, hands it to a Sink (a log line by default), and serves
// GET /notifications?order_id=ID.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	notificationstore "github.com/centuria/centuria/libs/notifications/data-access-notifications"
	"github.com/centuria/centuria/libs/platform/events"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// DurableOrders is the notifications service's consumer of the orders
// stream.
const DurableOrders = "notifications-orders"

// Notifier records and sends notifications.
type Notifier struct {
	sink     Sink
	sinkName string
	now      func() time.Time
}

// New returns a Notifier sending through sink, recorded under sinkName;
// now stamps notifications (nil: time.Now).
func New(sink Sink, sinkName string, now func() time.Time) *Notifier {
	if now == nil {
		now = time.Now
	}
	return &Notifier{sink: sink, sinkName: sinkName, now: now}
}

// Subscriptions returns the consumer the notifications service runs:
// settled orders from the orders stream.
func (n *Notifier) Subscriptions() []orderflow.Subscription {
	return []orderflow.Subscription{
		{Stream: orderflow.StreamOrders, Durable: DurableOrders, Types: []string{orderflow.TypeOrderConfirmed, orderflow.TypeOrderCancelled}, Register: func(sub *events.Subscriber) error {
			return errors.Join(
				orderflow.Handle(sub, orderflow.TypeOrderConfirmed, n.confirmed),
				orderflow.Handle(sub, orderflow.TypeOrderCancelled, n.cancelled),
				orderflow.Ignore(sub, orderflow.TypeOrderPlaced),
			)
		}},
	}
}

func (n *Notifier) confirmed(ctx context.Context, tx pgx.Tx, ev events.Event[orderflow.OrderConfirmed]) error {
	msg := fmt.Sprintf("Your order %s is confirmed; %v was charged.", ev.Data.OrderID, ev.Data.Total)
	return n.notify(ctx, tx, ev.Data.OrderID, ev.Data.CustomerID, notificationstore.KindOrderConfirmed, msg)
}

func (n *Notifier) cancelled(ctx context.Context, tx pgx.Tx, ev events.Event[orderflow.OrderCancelled]) error {
	why := "an item is out of stock"
	if ev.Data.Reason == orderflow.ReasonPaymentFailed {
		why = "the payment failed"
	}
	msg := fmt.Sprintf("Your order %s was cancelled: %s.", ev.Data.OrderID, why)
	if ev.Data.Detail != "" {
		msg += " (" + ev.Data.Detail + ")"
	}
	return n.notify(ctx, tx, ev.Data.OrderID, ev.Data.CustomerID, notificationstore.KindOrderCancelled, msg)
}

func (n *Notifier) notify(ctx context.Context, tx pgx.Tx, orderID, customerID string, kind notificationstore.Kind, msg string) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	rec := notificationstore.Notification{ID: id.String(), OrderID: orderID, CustomerID: customerID, Kind: kind,
		Message: msg, Sink: n.sinkName, CreatedAt: n.now().UTC()}
	inserted, err := notificationstore.Record(ctx, tx, rec)
	if err != nil || !inserted {
		return err
	}
	if err := n.sink.Send(ctx, rec); err != nil {
		return fmt.Errorf("sending notification %s via %s: %w", rec.ID, n.sinkName, err)
	}
	return nil
}
