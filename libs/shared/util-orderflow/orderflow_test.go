package orderflow_test

import (
	"errors"
	"strings"
	"testing"

	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

const orderID = "01936f3e-8a4b-7c2d-9e1f-0a1b2c3d4e5f"

func placed() orderflow.OrderPlaced {
	return orderflow.OrderPlaced{
		OrderID: orderID, CustomerID: "u1",
		Items: []orderflow.Item{{SKU: "sku-1", Quantity: 2, UnitPriceCents: 1250}, {SKU: "sku-2", Quantity: 1, UnitPriceCents: 99}},
		Total: money.Money{Cents: 2599, Currency: "EUR"},
	}
}

func TestOrderPlacedValidate(t *testing.T) {
	if err := placed().Validate(); err != nil {
		t.Fatalf("valid payload: %v", err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*orderflow.OrderPlaced)
	}{
		{"order_id", func(p *orderflow.OrderPlaced) { p.OrderID = "42" }},
		{"customer_id", func(p *orderflow.OrderPlaced) { p.CustomerID = "" }},
		{"items", func(p *orderflow.OrderPlaced) { p.Items = nil }},
		{"items[1].sku", func(p *orderflow.OrderPlaced) { p.Items[1].SKU = "a b" }},
		{"items[1].sku", func(p *orderflow.OrderPlaced) { p.Items[1].SKU = "sku-1" }},
		{"items[0].quantity", func(p *orderflow.OrderPlaced) { p.Items[0].Quantity = 0 }},
		{"items[0].unit_price_cents", func(p *orderflow.OrderPlaced) { p.Items[0].UnitPriceCents = -1 }},
		{"total", func(p *orderflow.OrderPlaced) { p.Total.Cents++ }},
		{"total", func(p *orderflow.OrderPlaced) { p.Total.Currency = "eur" }},
	} {
		p := placed()
		tc.edit(&p)
		err := p.Validate()
		var fe *orderflow.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, orderflow.ErrInvalidPayload) {
			t.Errorf("want error on %s, got %v", tc.field, err)
		}
	}
}

func TestTotalOverflow(t *testing.T) {
	_, err := orderflow.Total([]orderflow.Item{{SKU: "a", Quantity: orderflow.MaxQuantity, UnitPriceCents: 1 << 62}}, "EUR")
	if !errors.Is(err, money.ErrOverflow) {
		t.Errorf("Total overflow: %v", err)
	}
}

func TestOtherPayloads(t *testing.T) {
	eur := money.Money{Cents: 100, Currency: "EUR"}
	for _, tc := range []struct {
		p  orderflow.Payload
		ok bool
	}{
		{orderflow.StockRejected{OrderID: orderID, Shortages: []orderflow.Shortage{{SKU: "a", Requested: 2}}}, true},
		{orderflow.StockRejected{OrderID: orderID}, false},
		{orderflow.PaymentCaptured{OrderID: orderID, PaymentID: "p", Amount: eur}, true},
		{orderflow.PaymentCaptured{OrderID: orderID, Amount: eur}, false},
		{orderflow.PaymentFailed{OrderID: orderID, PaymentID: "p", Amount: eur, Reason: "declined"}, true},
		{orderflow.PaymentFailed{OrderID: orderID, PaymentID: "p", Amount: eur}, false},
		{orderflow.OrderConfirmed{OrderID: orderID, CustomerID: "u", Total: eur}, true},
		{orderflow.OrderConfirmed{OrderID: orderID, CustomerID: "u"}, false},
		{orderflow.OrderCancelled{OrderID: orderID, CustomerID: "u", Reason: orderflow.ReasonOutOfStock}, true},
		{orderflow.OrderCancelled{OrderID: orderID, CustomerID: "u", Reason: "bored"}, false},
		{orderflow.StockReleased{OrderID: "x"}, false},
	} {
		if err := tc.p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%#v: Validate() = %v, want ok=%v", tc.p, err, tc.ok)
		}
	}
}

func TestTopology(t *testing.T) {
	var prod orderflow.Topology
	if got := prod.StreamSpec(orderflow.StreamOrders); got.Name != "ORDERS" || got.Subjects[0] != "events.order.>" {
		t.Errorf("production orders stream = %+v", got)
	}
	if got := prod.Subject(orderflow.AggregateOrder, orderflow.TypeOrderPlaced); got != "events.order.order.placed" {
		t.Errorf("Subject = %q", got)
	}
	tp, err := orderflow.NewTopology("t-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tp.Streams() {
		if err := s.Validate(); err != nil {
			t.Errorf("stream spec: %v", err)
		}
		if !strings.HasPrefix(s.Name, "T_1_") || !strings.HasPrefix(s.Subjects[0], "t-1.events.") {
			t.Errorf("prefixed stream = %+v", s)
		}
	}
	if c := tp.Consumer(orderflow.StreamPayments, "orders", orderflow.TypePaymentCaptured, orderflow.TypePaymentFailed); c.Stream != "T_1_PAYMENTS" || c.Validate() != nil || c.FilterSubjects != nil {
		t.Errorf("consumer of two types = %+v", c)
	}
	if c := tp.Consumer(orderflow.StreamInventory, "payments", orderflow.TypeStockReserved); len(c.FilterSubjects) != 1 || c.FilterSubjects[0] != "t-1.events.stock.stock.reserved" {
		t.Errorf("consumer of one type = %+v", c)
	}
	for _, bad := range []string{"UP", "a.b", "a b", strings.Repeat("a", 65)} {
		if _, err := orderflow.NewTopology(bad); err == nil || !strings.Contains(err.Error(), orderflow.EnvPrefix) {
			t.Errorf("NewTopology(%q) = %v", bad, err)
		}
	}
	tp, err = orderflow.TopologyFromEnv(func(k string) (string, bool) { return map[string]string{"EVENTS_PREFIX": "x"}[k], true })
	if err != nil || tp.Prefix() != "x" {
		t.Errorf("TopologyFromEnv = %v, %v", tp, err)
	}
}
