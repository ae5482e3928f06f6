package notificationstore_test

import (
	"context"
	"testing"
	"time"

	notificationstore "github.com/centuria/centuria/libs/notifications/data-access-notifications"
	"github.com/centuria/centuria/libs/shared/util-flowtest"
	"github.com/google/uuid"
)

func TestRecordOnceAndList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := flowtest.DB(t, notificationstore.Migrations())
	order := uuid.NewString()
	n := notificationstore.Notification{ID: uuid.NewString(), OrderID: order, CustomerID: "u1",
		Kind: notificationstore.KindOrderConfirmed, Message: "confirmed", Sink: "log", CreatedAt: time.Now()}
	if ok, err := notificationstore.Record(ctx, db.Pool, n); !ok || err != nil {
		t.Fatalf("Record = %v, %v", ok, err)
	}
	n.ID = uuid.NewString()
	if ok, err := notificationstore.Record(ctx, db.Pool, n); ok || err != nil {
		t.Errorf("second Record = %v, %v; want not inserted", ok, err)
	}
	list, err := notificationstore.ListByOrder(ctx, db.Pool, order)
	if err != nil || len(list) != 1 || list[0].Kind != notificationstore.KindOrderConfirmed || list[0].CustomerID != "u1" {
		t.Errorf("ListByOrder = %+v, %v", list, err)
	}
	if list, err := notificationstore.ListByOrder(ctx, db.Pool, uuid.NewString()); err != nil || len(list) != 0 {
		t.Errorf("ListByOrder(unknown) = %+v, %v", list, err)
	}
}
