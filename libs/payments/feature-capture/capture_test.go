package capture_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	paymentstore "github.com/centuria/centuria/libs/payments/data-access-payments"
	capture "github.com/centuria/centuria/libs/payments/feature-capture"
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

func start(t *testing.T, cfg capture.Config) env {
	t.Helper()
	db, _ := flowtest.DB(t, paymentstore.Migrations())
	flow := flowtest.NATS(t)
	flow.Relay(t, db, "/payments")
	provider, err := capture.NewSimulated(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range capture.New(provider, nil).Subscriptions() {
		flowtest.Background(t, flow.Subscriber(t, db, s).Run)
	}
	return env{db: db, flow: flow}
}

func reserved(cents int64) orderflow.StockReserved {
	items := []orderflow.Item{{SKU: "a", Quantity: 1, UnitPriceCents: cents}}
	return orderflow.StockReserved{OrderID: uuid.NewString(), CustomerID: "u1", Items: items, Total: money.Money{Cents: cents, Currency: "EUR"}}
}

func (e env) publish(t *testing.T, r orderflow.StockReserved, eventID string) {
	e.flow.Publish(t, orderflow.AggregateStock, r.OrderID, orderflow.TypeStockReserved, eventID, r)
}

func TestFailureRateZeroCapturesAll(t *testing.T) {
	t.Parallel()
	e := start(t, capture.Config{FailureRate: 0})
	for i := range 5 {
		e.publish(t, reserved(int64(100+i)), "")
	}
	msgs := e.flow.Wait(t, orderflow.StreamPayments, orderflow.TypePaymentCaptured, 5, 15*time.Second)
	for _, m := range msgs {
		var ev orderflow.PaymentCaptured
		m.Decode(t, &ev)
		p, err := paymentstore.GetByOrder(context.Background(), e.db.Pool, ev.OrderID)
		if err != nil || p.Status != paymentstore.StatusCaptured || p.ID != ev.PaymentID || p.Amount != ev.Amount || !strings.HasPrefix(p.ProviderRef, "sim_") {
			t.Errorf("payment %+v for %+v: %v", p, ev, err)
		}
	}
	if n := len(e.flow.Read(t, orderflow.StreamPayments, orderflow.TypePaymentFailed)); n != 0 {
		t.Errorf("%d failures at rate 0", n)
	}
}

func TestFailureRateOneFailsAll(t *testing.T) {
	t.Parallel()
	e := start(t, capture.Config{FailureRate: 1})
	for i := range 5 {
		e.publish(t, reserved(int64(100+i)), "")
	}
	msgs := e.flow.Wait(t, orderflow.StreamPayments, orderflow.TypePaymentFailed, 5, 15*time.Second)
	var ev orderflow.PaymentFailed
	msgs[0].Decode(t, &ev)
	if ev.Reason == "" {
		t.Errorf("payment.failed without a reason: %+v", ev)
	}
	p, err := paymentstore.GetByOrder(context.Background(), e.db.Pool, ev.OrderID)
	if err != nil || p.Status != paymentstore.StatusFailed || p.Reason != ev.Reason {
		t.Errorf("payment = %+v, %v", p, err)
	}
	if n := len(e.flow.Read(t, orderflow.StreamPayments, orderflow.TypePaymentCaptured)); n != 0 {
		t.Errorf("%d captures at rate 1", n)
	}
}

func TestFailAmountAndIdempotence(t *testing.T) {
	t.Parallel()
	e := start(t, capture.Config{FailureRate: 0, FailAmount: true, FailAmountCents: 1313})
	bad, good := reserved(1313), reserved(1314)
	e.publish(t, bad, "r-1")
	e.publish(t, good, "r-2")
	// Redelivered and republished events charge nothing more.
	e.publish(t, good, "r-2")
	e.publish(t, good, "r-3")
	failed := e.flow.Wait(t, orderflow.StreamPayments, orderflow.TypePaymentFailed, 1, 10*time.Second)
	var f orderflow.PaymentFailed
	failed[0].Decode(t, &f)
	if f.OrderID != bad.OrderID || !strings.Contains(f.Reason, capture.EnvFailAmountCents) {
		t.Errorf("payment.failed = %+v", f)
	}
	e.flow.Wait(t, orderflow.StreamPayments, orderflow.TypePaymentCaptured, 1, 10*time.Second)
	flowtest.Eventually(t, 10*time.Second, "all events processed", func() bool {
		var n int
		e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM events_inbox").Scan(&n)
		return n == 3
	})
	time.Sleep(200 * time.Millisecond)
	if n := len(e.flow.Read(t, orderflow.StreamPayments, "")); n != 2 {
		t.Errorf("payments stream holds %d events, want 2", n)
	}
}

func TestBadStockReservedIsDeadLettered(t *testing.T) {
	t.Parallel()
	e := start(t, capture.Config{})
	r := reserved(100)
	r.Total.Cents = 99 // not the sum of the items
	e.publish(t, r, "")
	e.flow.Publish(t, orderflow.AggregateStock, r.OrderID, orderflow.TypeStockReserved, "", []byte(`{"order_id":1}`))
	flowtest.Eventually(t, 10*time.Second, "2 dead letters", func() bool { return e.flow.DeadLetters(t, orderflow.StreamInventory) == 2 })
	if _, err := paymentstore.GetByOrder(context.Background(), e.db.Pool, r.OrderID); !errors.Is(err, paymentstore.ErrNotFound) {
		t.Errorf("a bad event was charged: %v", err)
	}
}

func TestSimulatedDraws(t *testing.T) {
	eur := money.Money{Cents: 100, Currency: "EUR"}
	draws := []float64{0.05, 0.5, 0.0999, 0.1}
	i := 0
	p, err := capture.NewSimulated(capture.Config{FailureRate: 0.1}, func() float64 { i++; return draws[i-1] })
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for range draws {
		_, err := p.Charge(context.Background(), "o", eur)
		got = append(got, errors.Is(err, capture.ErrDeclined))
	}
	if want := []bool{true, false, true, false}; !equal(got, want) {
		t.Errorf("declines = %v, want %v", got, want)
	}
}

func equal(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := capture.ConfigFromEnv(env(nil))
	if err != nil || c.FailureRate != capture.DefaultFailureRate || c.FailAmount {
		t.Errorf("defaults = %+v, %v", c, err)
	}
	c, err = capture.ConfigFromEnv(env(map[string]string{"PAYMENTS_FAILURE_RATE": "0", "PAYMENTS_FAIL_AMOUNT_CENTS": "1313"}))
	if err != nil || c.FailureRate != 0 || !c.FailAmount || c.FailAmountCents != 1313 {
		t.Errorf("set = %+v, %v", c, err)
	}
	for k, v := range map[string]string{"PAYMENTS_FAILURE_RATE": "1.5", "PAYMENTS_FAIL_AMOUNT_CENTS": "12.5"} {
		if _, err := capture.ConfigFromEnv(env(map[string]string{k: v})); !errors.Is(err, capture.ErrInvalidConfig) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
	for _, v := range []string{"NaN", "-0.1", "x"} {
		if _, err := capture.ConfigFromEnv(env(map[string]string{"PAYMENTS_FAILURE_RATE": v})); err == nil {
			t.Errorf("PAYMENTS_FAILURE_RATE=%s accepted", v)
		}
	}
}

func TestAPI(t *testing.T) {
	t.Parallel()
	db, _ := flowtest.DB(t, paymentstore.Migrations())
	order := uuid.NewString()
	paymentstore.Record(context.Background(), db.Pool, paymentstore.Payment{ID: uuid.NewString(), OrderID: order, Status: paymentstore.StatusCaptured,
		Amount: money.Money{Cents: 500, Currency: "USD"}, CreatedAt: time.Now()})
	mux := http.NewServeMux()
	capture.Register(mux, db.Pool)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		path  string
		code  int
		check func(map[string]any) bool
	}{
		{"/payments/" + order, 200, func(m map[string]any) bool {
			return m["status"] == "captured" && m["amount_cents"] == 500.0 && m["currency"] == "USD"
		}},
		{"/payments/" + uuid.NewString(), 404, func(m map[string]any) bool { return m["field"] == "order_id" }},
		{"/payments/nope", 400, func(m map[string]any) bool { return m["field"] == "order_id" }},
	} {
		res, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var m map[string]any
		json.Unmarshal(b, &m)
		if res.StatusCode != tc.code || !tc.check(m) {
			t.Errorf("GET %s = %d %s", tc.path, res.StatusCode, b)
		}
	}
}
