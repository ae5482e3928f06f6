package main

import (
	"testing"
	"time"

	"github.com/centuria/centuria/libs/shared/util-apptest"
	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
)

func TestInventoryService(t *testing.T) {
	app := apptest.Start(t, spec, nil)
	if code, got := app.Do(t, "PUT", "/stock/sku-1", `{"available":10}`); code != 200 || got["available"] != 10.0 {
		t.Fatalf("PUT /stock/sku-1 = %d %v", code, got)
	}
	id := uuid.NewString()
	app.Flow.Publish(t, orderflow.AggregateOrder, id, orderflow.TypeOrderPlaced, "", orderflow.OrderPlaced{
		OrderID: id, CustomerID: "u1", Items: []orderflow.Item{{SKU: "sku-1", Quantity: 3, UnitPriceCents: 100}},
		Total: money.Money{Cents: 300, Currency: "EUR"},
	})
	app.Flow.Wait(t, orderflow.StreamInventory, orderflow.TypeStockReserved, 1, 15*time.Second)
	if code, got := app.Do(t, "GET", "/stock/sku-1", ""); code != 200 || got["available"] != 7.0 || got["reserved"] != 3.0 {
		t.Errorf("GET /stock/sku-1 = %d %v, want 7 available and 3 reserved", code, got)
	}
	if code, got := app.Do(t, "GET", "/stock/unknown", ""); code != 404 || got["field"] != "sku" {
		t.Errorf("GET /stock/unknown = %d %v", code, got)
	}
}
