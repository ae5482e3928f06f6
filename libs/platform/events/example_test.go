package events_test

import (
	"context"
	"log"
	"time"

	"github.com/centuria/centuria/libs/platform/events"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type OrderPaid struct {
	ID    string `json:"id"`
	Total int    `json:"total"`
}

// Consuming order events exactly once: the handler's writes and the inbox
// row commit together.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://billing@127.0.0.1/billing")
	if err != nil {
		log.Fatal(err)
	}
	nc, err := nats.Connect(nats.DefaultURL)
	if err != nil {
		log.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := events.EnsureStream(ctx, js, events.StreamSpec{
		Name: "ORDERS", Subjects: []string{"events.order.>"}, Duplicates: 10 * time.Minute,
	}); err != nil {
		log.Fatal(err)
	}
	if err := events.EnsureInbox(ctx, pool); err != nil {
		log.Fatal(err)
	}
	sub, err := events.NewSubscriber(js, pool, events.SubscriberConfig{
		ConsumerSpec: events.ConsumerSpec{Stream: "ORDERS", Durable: "billing", FilterSubjects: []string{"events.order.order.paid"}},
		MaxDeliver:   5,
	})
	if err != nil {
		log.Fatal(err)
	}
	err = events.Handle(sub, "order.paid", func(ctx context.Context, tx pgx.Tx, ev events.Event[OrderPaid]) error {
		_, err := tx.Exec(ctx, "INSERT INTO invoices (order_id, total) VALUES ($1, $2)", ev.Data.ID, ev.Data.Total)
		return err // an error retries with backoff; events.Permanent(err) dead-letters at once
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := sub.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
