package main

import (
	"testing"
	"time"

	"github.com/centuria/centuria/libs/shared/util-apptest"
	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
)

func TestNotificationsService(t *testing.T) {
	app := apptest.Start(t, spec, map[string]string{"NOTIFICATIONS_SINK": "log"})
	id := uuid.NewString()
	app.Flow.Publish(t, orderflow.AggregateOrder, id, orderflow.TypeOrderConfirmed, "", orderflow.OrderConfirmed{
		OrderID: id, CustomerID: "u1", Total: money.Money{Cents: 2500, Currency: "EUR"},
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, got := app.Do(t, "GET", "/notifications?order_id="+id, "")
		if list, _ := got["notifications"].([]any); code == 200 && len(list) == 1 {
			if n := list[0].(map[string]any); n["kind"] != "order_confirmed" || n["sink"] != "log" {
				t.Errorf("notification = %v", n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /notifications?order_id=%s = %d %v after 15s", id, code, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, got := app.Do(t, "GET", "/notifications", ""); code != 400 || got["field"] != "order_id" {
		t.Errorf("GET /notifications without order_id = %d %v", code, got)
	}
}
