package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/service"
	"github.com/centuria/centuria/libs/shared/util-apptest"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

func TestOrdersService(t *testing.T) {
	app := apptest.Start(t, spec, nil)
	body := `{"items":[{"sku":"sku-1","quantity":2,"unit_price_cents":1250}],"currency":"EUR"}`
	code, o := app.Do(t, "POST", "/orders", body, "X-User-Id", "u1")
	if code != 201 || o["status"] != "pending" || o["total_cents"] != 2500.0 {
		t.Fatalf("POST /orders = %d %v", code, o)
	}
	id := o["id"].(string)
	if code, got := app.Do(t, "GET", "/orders/"+id, "", "X-User-Id", "u1"); code != 200 || got["id"] != id {
		t.Errorf("GET /orders/%s = %d %v", id, code, got)
	}
	if code, got := app.Do(t, "GET", "/orders", ""); code != 401 || got["field"] != "X-User-Id" {
		t.Errorf("GET /orders without X-User-Id = %d %v", code, got)
	}
	// The relay publishes order.placed under the test's prefix.
	msgs := app.Flow.Wait(t, orderflow.StreamOrders, orderflow.TypeOrderPlaced, 1, 15*time.Second)
	if msgs[0].Envelope.Subject != id || msgs[0].Envelope.Source != "/orders" {
		t.Errorf("order.placed envelope = %+v", msgs[0].Envelope)
	}
}

func TestBadEventsPrefix(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": testenv.Postgres(t), "NATS_URL": testenv.NATSURL(),
		"HTTP_ADDR": "127.0.0.1:0", "ADMIN_ADDR": "127.0.0.1:0", "EVENTS_PREFIX": "Not Valid",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := service.Run(ctx, spec(lookup), lookup)
	if err == nil || !strings.Contains(err.Error(), "EVENTS_PREFIX") {
		t.Errorf("Run with a bad EVENTS_PREFIX = %v, want an error naming it", err)
	}
}
