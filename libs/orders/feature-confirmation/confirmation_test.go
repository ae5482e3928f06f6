package confirmation_test

import (
	"context"
	"testing"
	"time"

	orderstore "github.com/centuria/centuria/libs/orders/data-access-orders"
	confirmation "github.com/centuria/centuria/libs/orders/feature-confirmation"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/centuria/centuria/libs/shared/util-flowtest"
	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
)

type env struct {
	db   *postgres.DB
	flow flowtest.Flow
}

// start runs the orders consumers and relay on a fresh database and stream
// namespace.
func start(t *testing.T) env {
	t.Helper()
	db, _ := flowtest.DB(t, orderstore.Migrations())
	flow := flowtest.NATS(t)
	flow.Relay(t, db, "/orders")
	for _, s := range confirmation.New(nil).Subscriptions() {
		flowtest.Background(t, flow.Subscriber(t, db, s).Run)
	}
	return env{db: db, flow: flow}
}

func (e env) pending(t *testing.T) orderstore.Order {
	t.Helper()
	now := time.Now().UTC()
	o := orderstore.Order{
		ID: uuid.Must(uuid.NewV7()).String(), CustomerID: "u1", Status: orderstore.StatusPending,
		Items: []orderflow.Item{{SKU: "a", Quantity: 1, UnitPriceCents: 700}},
		Total: money.Money{Cents: 700, Currency: "EUR"}, CreatedAt: now, UpdatedAt: now,
	}
	if err := orderstore.Insert(context.Background(), e.db.Pool, o); err != nil {
		t.Fatal(err)
	}
	return o
}

func (e env) waitStatus(t *testing.T, id string, want orderstore.Status) orderstore.Order {
	t.Helper()
	var o orderstore.Order
	flowtest.Eventually(t, 10*time.Second, "order "+id+" "+string(want), func() bool {
		var err error
		o, err = orderstore.Get(context.Background(), e.db.Pool, id)
		return err == nil && o.Status == want
	})
	return o
}

func TestCapturedConfirms(t *testing.T) {
	t.Parallel()
	e := start(t)
	o := e.pending(t)
	captured := orderflow.PaymentCaptured{OrderID: o.ID, PaymentID: "p1", Amount: o.Total}
	e.flow.Publish(t, orderflow.AggregatePayment, o.ID, orderflow.TypePaymentCaptured, "ev-1", captured)
	e.waitStatus(t, o.ID, orderstore.StatusConfirmed)
	msgs := e.flow.Wait(t, orderflow.StreamOrders, orderflow.TypeOrderConfirmed, 1, 10*time.Second)
	var ev orderflow.OrderConfirmed
	msgs[0].Decode(t, &ev)
	if ev.OrderID != o.ID || ev.CustomerID != "u1" || ev.Total != o.Total {
		t.Errorf("order.confirmed = %+v", ev)
	}
	// The same event redelivered, and a later contradicting outcome, change
	// nothing and emit nothing.
	e.flow.Publish(t, orderflow.AggregatePayment, o.ID, orderflow.TypePaymentCaptured, "ev-1", captured)
	e.flow.Publish(t, orderflow.AggregatePayment, o.ID, orderflow.TypePaymentFailed, "ev-2",
		orderflow.PaymentFailed{OrderID: o.ID, PaymentID: "p1", Amount: o.Total, Reason: "declined"})
	flowtest.Eventually(t, 10*time.Second, "both events processed", func() bool {
		var n int
		e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events_inbox WHERE consumer = $1", confirmation.DurablePayments).Scan(&n)
		return n == 2
	})
	time.Sleep(200 * time.Millisecond)
	if got := e.flow.Read(t, orderflow.StreamOrders, ""); len(got) != 1 {
		t.Errorf("orders stream holds %d events, want the one order.confirmed", len(got))
	}
	if got, _ := orderstore.Get(context.Background(), e.db.Pool, o.ID); got.Status != orderstore.StatusConfirmed {
		t.Errorf("status = %s after a late failure", got.Status)
	}
}

func TestRejectedAndFailedCancel(t *testing.T) {
	t.Parallel()
	e := start(t)
	noStock, declined := e.pending(t), e.pending(t)
	e.flow.Publish(t, orderflow.AggregateStock, noStock.ID, orderflow.TypeStockRejected, "", orderflow.StockRejected{
		OrderID: noStock.ID, Shortages: []orderflow.Shortage{{SKU: "a", Requested: 1, Available: 0}},
	})
	// stock.reserved is not for orders: acknowledged without effect.
	e.flow.Publish(t, orderflow.AggregateStock, declined.ID, orderflow.TypeStockReserved, "", orderflow.StockReserved{
		OrderID: declined.ID, CustomerID: "u1", Items: declined.Items, Total: declined.Total,
	})
	e.flow.Publish(t, orderflow.AggregatePayment, declined.ID, orderflow.TypePaymentFailed, "", orderflow.PaymentFailed{
		OrderID: declined.ID, PaymentID: "p2", Amount: declined.Total, Reason: "card declined",
	})
	got := e.waitStatus(t, noStock.ID, orderstore.StatusCancelled)
	if got.Reason != orderflow.ReasonOutOfStock || got.Detail != "a: requested 1, available 0" {
		t.Errorf("out of stock order = %+v", got)
	}
	got = e.waitStatus(t, declined.ID, orderstore.StatusCancelled)
	if got.Reason != orderflow.ReasonPaymentFailed || got.Detail != "card declined" {
		t.Errorf("declined order = %+v", got)
	}
	msgs := e.flow.Wait(t, orderflow.StreamOrders, orderflow.TypeOrderCancelled, 2, 10*time.Second)
	reasons := map[string]string{}
	for _, m := range msgs {
		var ev orderflow.OrderCancelled
		m.Decode(t, &ev)
		reasons[ev.OrderID] = ev.Reason
	}
	if reasons[noStock.ID] != orderflow.ReasonOutOfStock || reasons[declined.ID] != orderflow.ReasonPaymentFailed {
		t.Errorf("order.cancelled reasons = %v", reasons)
	}
	if n := e.flow.DeadLetters(t, orderflow.StreamInventory); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

func TestBadPayloadsAreDeadLettered(t *testing.T) {
	t.Parallel()
	e := start(t)
	o := e.pending(t)
	e.flow.Publish(t, orderflow.AggregatePayment, o.ID, orderflow.TypePaymentCaptured, "", []byte(`{"order_id":`))
	e.flow.Publish(t, orderflow.AggregatePayment, o.ID, orderflow.TypePaymentCaptured, "", orderflow.PaymentCaptured{OrderID: "nope", PaymentID: "p", Amount: o.Total})
	e.flow.Publish(t, orderflow.AggregatePayment, o.ID, orderflow.TypePaymentCaptured, "", []byte(`{"order_id":"`+o.ID+`","payment_id":"p","amount":{"cents":-1,"currency":"EUR"}}`))
	unknown := uuid.NewString()
	e.flow.Publish(t, orderflow.AggregatePayment, unknown, orderflow.TypePaymentCaptured, "", orderflow.PaymentCaptured{OrderID: unknown, PaymentID: "p", Amount: o.Total})
	flowtest.Eventually(t, 10*time.Second, "4 dead letters", func() bool { return e.flow.DeadLetters(t, orderflow.StreamPayments) == 4 })
	if got, _ := orderstore.Get(context.Background(), e.db.Pool, o.ID); got.Status != orderstore.StatusPending {
		t.Errorf("status = %s after bad events", got.Status)
	}
}
