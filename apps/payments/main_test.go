package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/service"
	"github.com/centuria/centuria/libs/shared/util-apptest"
	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
)

func TestPaymentsService(t *testing.T) {
	app := apptest.Start(t, spec, map[string]string{"PAYMENTS_FAILURE_RATE": "0", "PAYMENTS_FAIL_AMOUNT_CENTS": "1313"})
	reserve := func(cents int64) string {
		id := uuid.NewString()
		app.Flow.Publish(t, orderflow.AggregateStock, id, orderflow.TypeStockReserved, "", orderflow.StockReserved{
			OrderID: id, CustomerID: "u1", Items: []orderflow.Item{{SKU: "a", Quantity: 1, UnitPriceCents: cents}},
			Total: money.Money{Cents: cents, Currency: "EUR"},
		})
		return id
	}
	failing, passing := reserve(1313), reserve(1314)
	app.Flow.Wait(t, orderflow.StreamPayments, orderflow.TypePaymentFailed, 1, 15*time.Second)
	app.Flow.Wait(t, orderflow.StreamPayments, orderflow.TypePaymentCaptured, 1, 15*time.Second)
	if code, got := app.Do(t, "GET", "/payments/"+failing, ""); code != 200 || got["status"] != "failed" {
		t.Errorf("GET /payments/%s = %d %v", failing, code, got)
	}
	if code, got := app.Do(t, "GET", "/payments/"+passing, ""); code != 200 || got["status"] != "captured" || got["amount_cents"] != 1314.0 {
		t.Errorf("GET /payments/%s = %d %v", passing, code, got)
	}
}

func TestBadFailureRate(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": testenv.Postgres(t), "NATS_URL": testenv.NATSURL(),
		"HTTP_ADDR": "127.0.0.1:0", "ADMIN_ADDR": "127.0.0.1:0", "PAYMENTS_FAILURE_RATE": "2",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := service.Run(ctx, spec(lookup), lookup); err == nil || !strings.Contains(err.Error(), "PAYMENTS_FAILURE_RATE") {
		t.Errorf("Run with PAYMENTS_FAILURE_RATE=2 = %v, want an error naming it", err)
	}
}
