package placement_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	orderstore "github.com/centuria/centuria/libs/orders/data-access-orders"
	placement "github.com/centuria/centuria/libs/orders/feature-placement"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/centuria/centuria/libs/shared/util-flowtest"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

func request() placement.PlaceRequest {
	return placement.PlaceRequest{Currency: "EUR", Items: []orderflow.Item{
		{SKU: "sku-1", Quantity: 2, UnitPriceCents: 1250}, {SKU: "sku-2", Quantity: 1, UnitPriceCents: 99},
	}}
}

func count(t *testing.T, db *postgres.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPlaceWritesOrderAndEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, orderstore.Migrations())
	svc := placement.New(db.Pool)
	o, err := svc.Place(ctx, "u1", request())
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != orderstore.StatusPending || o.Total.Cents != 2599 || o.Total.Currency != "EUR" {
		t.Errorf("Place = %+v", o)
	}
	var aggType, aggID, typ string
	var payload []byte
	err = db.Pool.QueryRow(ctx, "SELECT aggregate_type, aggregate_id, event_type, payload FROM outbox_events").Scan(&aggType, &aggID, &typ, &payload)
	if err != nil {
		t.Fatal(err)
	}
	var ev orderflow.OrderPlaced
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if aggType != orderflow.AggregateOrder || aggID != o.ID || typ != orderflow.TypeOrderPlaced ||
		ev.OrderID != o.ID || ev.CustomerID != "u1" || ev.Total != o.Total || len(ev.Items) != 2 || ev.Validate() != nil {
		t.Errorf("outbox row = %s %s %s %+v", aggType, aggID, typ, ev)
	}
	got, err := svc.Get(ctx, "u1", o.ID)
	if err != nil || got.ID != o.ID || len(got.Items) != 2 {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := svc.Get(ctx, "u2", o.ID); !errors.Is(err, orderstore.ErrNotFound) {
		t.Errorf("another customer's Get = %v, want ErrNotFound", err)
	}
}

// TestPlaceIsAtomic makes each of the transaction's inserts fail in turn and
// checks that neither the order nor its event remains.
func TestPlaceIsAtomic(t *testing.T) {
	t.Parallel()
	for _, table := range []string{"outbox_events", "order_items", "orders"} {
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _ := flowtest.DB(t, orderstore.Migrations())
			svc := placement.New(db.Pool)
			_, err := db.Pool.Exec(ctx, `CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'insert refused by test'; END $$;
CREATE TRIGGER fail BEFORE INSERT ON `+table+` FOR EACH ROW EXECUTE FUNCTION fail_insert();`)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Place(ctx, "u1", request()); err == nil {
				t.Fatal("Place succeeded although an insert failed")
			}
			for _, tb := range []string{"orders", "order_items", "outbox_events"} {
				if n := count(t, db, tb); n != 0 {
					t.Errorf("%s holds %d rows after the failed placement", tb, n)
				}
			}
			if _, err := db.Pool.Exec(ctx, "DROP TRIGGER fail ON "+table); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Place(ctx, "u1", request()); err != nil {
				t.Fatal(err)
			}
			if count(t, db, "orders") != 1 || count(t, db, "outbox_events") != 1 {
				t.Error("a placement after the failure did not write one order and one event")
			}
		})
	}
}

func TestPlaceRejectsInvalid(t *testing.T) {
	t.Parallel()
	db, _ := flowtest.DB(t, orderstore.Migrations())
	svc := placement.New(db.Pool)
	req := request()
	req.Items[1].Quantity = 0
	_, err := svc.Place(context.Background(), "u1", req)
	var fe *orderflow.FieldError
	if !errors.As(err, &fe) || fe.Field != "items[1].quantity" {
		t.Errorf("Place(invalid) = %v", err)
	}
	if count(t, db, "orders") != 0 {
		t.Error("an invalid order was written")
	}
}

// TestPlacedEventReachesStream relays the outbox to the flow's stream.
func TestPlacedEventReachesStream(t *testing.T) {
	t.Parallel()
	db, _ := flowtest.DB(t, orderstore.Migrations())
	flow := flowtest.NATS(t)
	flow.Relay(t, db, "/orders")
	o, err := placement.New(db.Pool).Place(context.Background(), "u1", request())
	if err != nil {
		t.Fatal(err)
	}
	msgs := flow.Wait(t, orderflow.StreamOrders, orderflow.TypeOrderPlaced, 1, 10*time.Second)
	var ev orderflow.OrderPlaced
	msgs[0].Decode(t, &ev)
	if ev.OrderID != o.ID || msgs[0].Envelope.Subject != o.ID || msgs[0].Envelope.Source != "/orders" {
		t.Errorf("stream holds %+v %+v", msgs[0].Envelope, ev)
	}
}
