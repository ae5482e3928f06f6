package outbox_test

import (
	"context"
	"log"

	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
)

// Writing an event in the same transaction as the business change, and
// relaying committed events to JetStream.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://orders@127.0.0.1/orders")
	if err != nil {
		log.Fatal(err)
	}
	if err := outbox.EnsureSchema(ctx, pool); err != nil {
		log.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE orders SET state = 'paid' WHERE id = $1", "o-1"); err != nil {
			return err
		}
		ev, err := outbox.NewJSON("order", "o-1", "order.paid", map[string]any{"id": "o-1", "total": 4200})
		if err != nil {
			return err
		}
		return outbox.Add(ctx, tx, ev)
	})
	if err != nil {
		log.Fatal(err)
	}

	nc, err := nats.Connect(nats.DefaultURL, nats.MaxReconnects(-1))
	if err != nil {
		log.Fatal(err)
	}
	relay, err := outbox.NewRelay(pool, nc, outbox.RelayConfig{
		Source:    "/orders",
		ListenURL: "postgres://orders@127.0.0.1/orders", // direct, not through PgBouncer
	})
	if err != nil {
		log.Fatal(err)
	}
	relay.Run(ctx) // publishes events.order.order.paid with Nats-Msg-Id = event id
}
