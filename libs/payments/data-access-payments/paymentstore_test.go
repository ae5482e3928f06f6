package paymentstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	paymentstore "github.com/centuria/centuria/libs/payments/data-access-payments"
	"github.com/centuria/centuria/libs/shared/util-flowtest"
	money "github.com/centuria/centuria/libs/shared/util-money"
	"github.com/google/uuid"
)

func TestRecordOncePerOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, paymentstore.Migrations())
	order := uuid.NewString()
	p := paymentstore.Payment{ID: uuid.NewString(), OrderID: order, Status: paymentstore.StatusFailed,
		Amount: money.Money{Cents: 1250, Currency: "EUR"}, Reason: "declined", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if ok, err := paymentstore.Record(ctx, db.Pool, p); !ok || err != nil {
		t.Fatalf("Record = %v, %v", ok, err)
	}
	second := p
	second.ID, second.Status = uuid.NewString(), paymentstore.StatusCaptured
	if ok, err := paymentstore.Record(ctx, db.Pool, second); ok || err != nil {
		t.Errorf("second Record = %v, %v; want not inserted", ok, err)
	}
	got, err := paymentstore.GetByOrder(ctx, db.Pool, order)
	if err != nil || got.ID != p.ID || got.Status != paymentstore.StatusFailed || got.Amount != p.Amount || got.Reason != "declined" || !got.CreatedAt.Equal(p.CreatedAt) {
		t.Errorf("GetByOrder = %+v, %v", got, err)
	}
	if _, err := paymentstore.GetByOrder(ctx, db.Pool, uuid.NewString()); !errors.Is(err, paymentstore.ErrNotFound) {
		t.Errorf("GetByOrder unknown: %v", err)
	}
}
