package stockstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	stockstore "github.com/centuria/centuria/libs/inventory/data-access-stock"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/centuria/centuria/libs/shared/util-flowtest"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

func level(t *testing.T, db *postgres.DB, sku string) (available, reserved int64) {
	t.Helper()
	s, err := stockstore.Get(context.Background(), db.Pool, sku)
	if err != nil {
		t.Fatal(err)
	}
	return s.Available, s.Reserved
}

func reserve(t *testing.T, db *postgres.DB, orderID string, items ...orderflow.Item) (stockstore.Outcome, []orderflow.Shortage) {
	t.Helper()
	var out stockstore.Outcome
	var short []orderflow.Shortage
	err := pgx.BeginFunc(context.Background(), db.Pool, func(tx pgx.Tx) (err error) {
		out, short, err = stockstore.Reserve(context.Background(), tx, orderID, items, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, short
}

func TestSetGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, stockstore.Migrations())
	if _, err := stockstore.Get(ctx, db.Pool, "a"); !errors.Is(err, stockstore.ErrNotFound) {
		t.Errorf("Get unset: %v", err)
	}
	s, err := stockstore.Set(ctx, db.Pool, "a", 10, time.Now())
	if err != nil || s.Available != 10 || s.Reserved != 0 {
		t.Fatalf("Set = %+v, %v", s, err)
	}
	for _, bad := range []struct {
		sku string
		n   int64
	}{{"a b", 1}, {"", 1}, {"a", -1}, {"a", stockstore.MaxAvailable + 1}} {
		if _, err := stockstore.Set(ctx, db.Pool, bad.sku, bad.n, time.Now()); !errors.Is(err, stockstore.ErrInvalid) {
			t.Errorf("Set(%q, %d) = %v", bad.sku, bad.n, err)
		}
	}
}

func TestReserveAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, stockstore.Migrations())
	stockstore.Set(ctx, db.Pool, "a", 5, time.Now())
	stockstore.Set(ctx, db.Pool, "b", 1, time.Now())

	// b is short and c was never stocked: nothing is held, a included.
	o1 := uuid.NewString()
	out, short := reserve(t, db, o1, orderflow.Item{SKU: "a", Quantity: 2}, orderflow.Item{SKU: "b", Quantity: 2}, orderflow.Item{SKU: "c", Quantity: 1})
	if out != stockstore.Rejected || len(short) != 2 || short[0] != (orderflow.Shortage{SKU: "b", Requested: 2, Available: 1}) || short[1] != (orderflow.Shortage{SKU: "c", Requested: 1}) {
		t.Errorf("Reserve short = %s %+v", out, short)
	}
	if av, re := level(t, db, "a"); av != 5 || re != 0 {
		t.Errorf("a after a rejection = %d/%d, want 5/0", av, re)
	}
	if st, _ := stockstore.ReservationStatus(ctx, db.Pool, o1); st != "rejected" {
		t.Errorf("status = %q", st)
	}

	o2 := uuid.NewString()
	if out, _ := reserve(t, db, o2, orderflow.Item{SKU: "a", Quantity: 2}, orderflow.Item{SKU: "b", Quantity: 1}); out != stockstore.Reserved {
		t.Fatalf("Reserve = %s", out)
	}
	if av, re := level(t, db, "a"); av != 3 || re != 2 {
		t.Errorf("a = %d/%d, want 3/2", av, re)
	}
	if av, re := level(t, db, "b"); av != 0 || re != 1 {
		t.Errorf("b = %d/%d, want 0/1", av, re)
	}
	// The same order again (a redelivery past the inbox) changes nothing.
	if out, _ := reserve(t, db, o2, orderflow.Item{SKU: "a", Quantity: 2}, orderflow.Item{SKU: "b", Quantity: 1}); out != stockstore.Duplicate {
		t.Errorf("second Reserve = %s", out)
	}
	if av, re := level(t, db, "a"); av != 3 || re != 2 {
		t.Errorf("a after a duplicate = %d/%d, want 3/2", av, re)
	}
}

func TestReleaseOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, stockstore.Migrations())
	stockstore.Set(ctx, db.Pool, "a", 5, time.Now())
	o := uuid.NewString()
	reserve(t, db, o, orderflow.Item{SKU: "a", Quantity: 4})
	release := func() ([]orderflow.Item, bool) {
		var items []orderflow.Item
		var ok bool
		err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) (err error) {
			items, ok, err = stockstore.Release(ctx, tx, o, time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return items, ok
	}
	items, ok := release()
	if !ok || len(items) != 1 || items[0].SKU != "a" || items[0].Quantity != 4 {
		t.Errorf("Release = %v %v", items, ok)
	}
	if av, re := level(t, db, "a"); av != 5 || re != 0 {
		t.Errorf("a after release = %d/%d", av, re)
	}
	if _, ok := release(); ok {
		t.Error("second Release released again")
	}
	if av, re := level(t, db, "a"); av != 5 || re != 0 {
		t.Errorf("a after a second release = %d/%d", av, re)
	}
	// Releasing an order that was never reserved does nothing.
	var ok2 bool
	pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) (err error) {
		_, ok2, err = stockstore.Release(ctx, tx, uuid.NewString(), time.Now())
		return err
	})
	if ok2 {
		t.Error("released an unknown order")
	}
}

// TestReserveConcurrent races orders for the last units: the row locks
// let exactly as many through as the stock allows.
func TestReserveConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, stockstore.Migrations())
	stockstore.Set(ctx, db.Pool, "a", 3, time.Now())
	stockstore.Set(ctx, db.Pool, "b", 100, time.Now())
	var mu sync.Mutex
	got := map[stockstore.Outcome]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Items in both orders so that lock ordering matters.
			var out stockstore.Outcome
			err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) (err error) {
				out, _, err = stockstore.Reserve(ctx, tx, uuid.NewString(), []orderflow.Item{{SKU: "b", Quantity: 1}, {SKU: "a", Quantity: 1}}, time.Now())
				return err
			})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			got[out]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if got[stockstore.Reserved] != 3 || got[stockstore.Rejected] != 5 {
		t.Errorf("outcomes = %v, want 3 reserved and 5 rejected", got)
	}
	if av, re := level(t, db, "a"); av != 0 || re != 3 {
		t.Errorf("a = %d/%d", av, re)
	}
	if av, re := level(t, db, "b"); av != 97 || re != 3 {
		t.Errorf("b = %d/%d", av, re)
	}
}
