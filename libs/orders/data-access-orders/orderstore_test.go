package orderstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	orderstore "github.com/centuria/centuria/libs/orders/data-access-orders"
	"github.com/centuria/centuria/libs/shared/util-flowtest"
	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
)

func order(customer string, at time.Time) orderstore.Order {
	return orderstore.Order{
		ID: uuid.Must(uuid.NewV7()).String(), CustomerID: customer, Status: orderstore.StatusPending,
		Items: []orderflow.Item{{SKU: "a", Quantity: 2, UnitPriceCents: 100}, {SKU: "b", Quantity: 1, UnitPriceCents: 5}},
		Total: money.Money{Cents: 205, Currency: "EUR"}, CreatedAt: at, UpdatedAt: at,
	}
}

func TestInsertGetList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, orderstore.Migrations())
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	o1, o2, other := order("u1", t0), order("u1", t0.Add(time.Second)), order("u2", t0)
	for _, o := range []orderstore.Order{o1, o2, other} {
		if err := orderstore.Insert(ctx, db.Pool, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := orderstore.Insert(ctx, db.Pool, o1); !errors.Is(err, orderstore.ErrDuplicate) {
		t.Errorf("second insert: %v", err)
	}
	got, err := orderstore.Get(ctx, db.Pool, o1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CustomerID != "u1" || got.Status != orderstore.StatusPending || got.Total != o1.Total ||
		len(got.Items) != 2 || got.Items[0] != o1.Items[0] || got.Items[1] != o1.Items[1] || !got.CreatedAt.Equal(t0) {
		t.Errorf("Get = %+v, want %+v", got, o1)
	}
	if _, err := orderstore.Get(ctx, db.Pool, uuid.NewString()); !errors.Is(err, orderstore.ErrNotFound) {
		t.Errorf("Get unknown: %v", err)
	}
	list, err := orderstore.ListByCustomer(ctx, db.Pool, "u1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != o2.ID || list[1].ID != o1.ID || len(list[1].Items) != 2 {
		t.Errorf("ListByCustomer = %+v", list)
	}
	if list, _ := orderstore.ListByCustomer(ctx, db.Pool, "u1", 1); len(list) != 1 {
		t.Errorf("limit 1 gave %d", len(list))
	}
}

func TestSettleOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, orderstore.Migrations())
	o := order("u1", time.Now().UTC())
	if err := orderstore.Insert(ctx, db.Pool, o); err != nil {
		t.Fatal(err)
	}
	got, changed, err := orderstore.Settle(ctx, db.Pool, o.ID, orderstore.StatusCancelled, orderflow.ReasonOutOfStock, "a: requested 2, available 0", time.Now())
	if err != nil || !changed || got.Status != orderstore.StatusCancelled || got.Reason != orderflow.ReasonOutOfStock {
		t.Fatalf("Settle = %+v, %v, %v", got, changed, err)
	}
	got, changed, err = orderstore.Settle(ctx, db.Pool, o.ID, orderstore.StatusConfirmed, "", "", time.Now())
	if err != nil || changed || got.Status != orderstore.StatusCancelled {
		t.Errorf("second Settle = %+v, %v, %v; want unchanged cancelled", got, changed, err)
	}
	if _, _, err := orderstore.Settle(ctx, db.Pool, uuid.NewString(), orderstore.StatusConfirmed, "", "", time.Now()); !errors.Is(err, orderstore.ErrNotFound) {
		t.Errorf("Settle unknown: %v", err)
	}
	if _, _, err := orderstore.Settle(ctx, db.Pool, o.ID, orderstore.StatusPending, "", "", time.Now()); err == nil {
		t.Error("Settle to pending accepted")
	}
}
