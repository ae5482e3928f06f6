package reservation_test

import (
	"context"
	"testing"
	"time"

	stockstore "github.com/centuria/centuria/libs/inventory/data-access-stock"
	reservation "github.com/centuria/centuria/libs/inventory/feature-reservation"
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

func start(t *testing.T, stock map[string]int64) env {
	t.Helper()
	db, _ := flowtest.DB(t, stockstore.Migrations())
	for sku, n := range stock {
		if _, err := stockstore.Set(context.Background(), db.Pool, sku, n, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	flow := flowtest.NATS(t)
	flow.Relay(t, db, "/inventory")
	for _, s := range reservation.New(nil).Subscriptions() {
		flowtest.Background(t, flow.Subscriber(t, db, s).Run)
	}
	return env{db: db, flow: flow}
}

func placed(items ...orderflow.Item) orderflow.OrderPlaced {
	total, _ := orderflow.Total(items, "EUR")
	return orderflow.OrderPlaced{OrderID: uuid.NewString(), CustomerID: "u1", Items: items, Total: total}
}

func (e env) level(t *testing.T, sku string) (int64, int64) {
	t.Helper()
	s, err := stockstore.Get(context.Background(), e.db.Pool, sku)
	if err != nil {
		t.Fatal(err)
	}
	return s.Available, s.Reserved
}

func (e env) inbox(t *testing.T, durable string) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events_inbox WHERE consumer = $1", durable).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReserveIdempotentUnderRedelivery(t *testing.T) {
	t.Parallel()
	e := start(t, map[string]int64{"a": 5, "b": 2})
	p := placed(orderflow.Item{SKU: "a", Quantity: 2, UnitPriceCents: 100}, orderflow.Item{SKU: "b", Quantity: 2, UnitPriceCents: 50})
	// The same event three times (same id), then a republish with a new id.
	for range 3 {
		e.flow.Publish(t, orderflow.AggregateOrder, p.OrderID, orderflow.TypeOrderPlaced, "ev-1", p)
	}
	e.flow.Publish(t, orderflow.AggregateOrder, p.OrderID, orderflow.TypeOrderPlaced, "ev-2", p)
	msgs := e.flow.Wait(t, orderflow.StreamInventory, orderflow.TypeStockReserved, 1, 10*time.Second)
	var got orderflow.StockReserved
	msgs[0].Decode(t, &got)
	if got.OrderID != p.OrderID || got.Total != p.Total || len(got.Items) != 2 {
		t.Errorf("stock.reserved = %+v", got)
	}
	flowtest.Eventually(t, 10*time.Second, "both event ids processed", func() bool { return e.inbox(t, reservation.DurableOrders) == 2 })
	time.Sleep(200 * time.Millisecond)
	if n := len(e.flow.Read(t, orderflow.StreamInventory, "")); n != 1 {
		t.Errorf("inventory stream holds %d events, want 1", n)
	}
	if av, re := e.level(t, "a"); av != 3 || re != 2 {
		t.Errorf("a = %d/%d, want 3/2", av, re)
	}
	if av, re := e.level(t, "b"); av != 0 || re != 2 {
		t.Errorf("b = %d/%d, want 0/2", av, re)
	}
}

func TestRejectHoldsNothing(t *testing.T) {
	t.Parallel()
	e := start(t, map[string]int64{"a": 5, "b": 1})
	p := placed(orderflow.Item{SKU: "a", Quantity: 2, UnitPriceCents: 100}, orderflow.Item{SKU: "b", Quantity: 2, UnitPriceCents: 50})
	e.flow.Publish(t, orderflow.AggregateOrder, p.OrderID, orderflow.TypeOrderPlaced, "", p)
	msgs := e.flow.Wait(t, orderflow.StreamInventory, orderflow.TypeStockRejected, 1, 10*time.Second)
	var got orderflow.StockRejected
	msgs[0].Decode(t, &got)
	if got.OrderID != p.OrderID || len(got.Shortages) != 1 || got.Shortages[0] != (orderflow.Shortage{SKU: "b", Requested: 2, Available: 1}) {
		t.Errorf("stock.rejected = %+v", got)
	}
	if av, re := e.level(t, "a"); av != 5 || re != 0 {
		t.Errorf("a = %d/%d after a rejection, want 5/0", av, re)
	}
}

func TestPaymentFailedReleasesOnce(t *testing.T) {
	t.Parallel()
	e := start(t, map[string]int64{"a": 5})
	p := placed(orderflow.Item{SKU: "a", Quantity: 4, UnitPriceCents: 100})
	e.flow.Publish(t, orderflow.AggregateOrder, p.OrderID, orderflow.TypeOrderPlaced, "", p)
	e.flow.Wait(t, orderflow.StreamInventory, orderflow.TypeStockReserved, 1, 10*time.Second)
	if av, re := e.level(t, "a"); av != 1 || re != 4 {
		t.Fatalf("a = %d/%d after reserving, want 1/4", av, re)
	}
	failed := orderflow.PaymentFailed{OrderID: p.OrderID, PaymentID: "p1", Amount: p.Total, Reason: "declined"}
	e.flow.Publish(t, orderflow.AggregatePayment, p.OrderID, orderflow.TypePaymentFailed, "pf-1", failed)
	e.flow.Publish(t, orderflow.AggregatePayment, p.OrderID, orderflow.TypePaymentFailed, "pf-1", failed)
	e.flow.Publish(t, orderflow.AggregatePayment, p.OrderID, orderflow.TypePaymentFailed, "pf-2", failed)
	// A captured payment is not inventory's business: the consumer's filter
	// leaves it out.
	e.flow.Publish(t, orderflow.AggregatePayment, p.OrderID, orderflow.TypePaymentCaptured, "", orderflow.PaymentCaptured{OrderID: uuid.NewString(), PaymentID: "p2", Amount: money.Money{Cents: 1, Currency: "EUR"}})
	msgs := e.flow.Wait(t, orderflow.StreamInventory, orderflow.TypeStockReleased, 1, 10*time.Second)
	flowtest.Eventually(t, 10*time.Second, "payment events processed", func() bool { return e.inbox(t, reservation.DurablePayments) == 2 })
	time.Sleep(200 * time.Millisecond)
	if n := len(e.flow.Read(t, orderflow.StreamInventory, orderflow.TypeStockReleased)); n != 1 {
		t.Errorf("%d stock.released events, want 1", n)
	}
	var rel orderflow.StockReleased
	msgs[0].Decode(t, &rel)
	if rel.OrderID != p.OrderID || len(rel.Items) != 1 || rel.Items[0].Quantity != 4 {
		t.Errorf("stock.released = %+v", rel)
	}
	if av, re := e.level(t, "a"); av != 5 || re != 0 {
		t.Errorf("a = %d/%d after release, want 5/0", av, re)
	}
	if n := e.flow.DeadLetters(t, orderflow.StreamPayments); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

func TestBadOrderPlacedIsDeadLettered(t *testing.T) {
	t.Parallel()
	e := start(t, map[string]int64{"a": 5})
	id := uuid.NewString()
	e.flow.Publish(t, orderflow.AggregateOrder, id, orderflow.TypeOrderPlaced, "", []byte(`not json`))
	e.flow.Publish(t, orderflow.AggregateOrder, id, orderflow.TypeOrderPlaced, "", []byte(`{"order_id":"`+id+`","customer_id":"u","items":[{"sku":"a","quantity":1,"unit_price_cents":1}],"total":{"cents":2,"currency":"EUR"}}`))
	e.flow.Publish(t, orderflow.AggregateOrder, id, orderflow.TypeOrderPlaced, "", []byte(`{"order_id":"`+id+`","customer_id":"u","items":[],"total":{"cents":0,"currency":"EUR"}}`))
	flowtest.Eventually(t, 10*time.Second, "3 dead letters", func() bool { return e.flow.DeadLetters(t, orderflow.StreamOrders) == 3 })
	if av, re := e.level(t, "a"); av != 5 || re != 0 {
		t.Errorf("a = %d/%d after bad events", av, re)
	}
}
