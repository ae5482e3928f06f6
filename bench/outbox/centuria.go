package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// centuria is the chassis outbox: outbox.Add in the transaction, the relay
// woken by LISTEN/NOTIFY.
type centuria struct {
	env *env
	// poll selects the LISTEN-free variant: the relay polls every 5 ms.
	poll bool
}

func (c *centuria) stream() string { return strings.ToUpper(c.env.name) }
func (c *centuria) prefix() string { return c.env.name }

func (c *centuria) setup(ctx context.Context) error {
	if err := outbox.EnsureSchema(ctx, c.env.pool); err != nil {
		return err
	}
	_, err := events.EnsureStream(ctx, c.env.js, events.StreamSpec{Name: c.stream(), Subjects: []string{c.prefix() + ".>"}})
	return err
}

func (c *centuria) write(ctx context.Context, tx pgx.Tx, id, aggregate string, payload []byte) error {
	return outbox.Add(ctx, tx, outbox.Event{ID: uuid.MustParse(id), AggregateType: "order", AggregateID: aggregate, Type: "order.created", Payload: payload})
}

func (c *centuria) start(ctx context.Context) (func(), error) {
	cfg := outbox.RelayConfig{
		Source: "/bench", SubjectPrefix: c.prefix(), ListenURL: c.env.dbURL, PollInterval: time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if c.poll {
		cfg.ListenURL, cfg.PollInterval = "", 5*time.Millisecond
	}
	r, err := outbox.NewRelay(c.env.pool, c.env.nc, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	return func() { cancel(); <-done }, nil
}

func (c *centuria) id(m jetstream.Msg) string { return m.Headers().Get(nats.MsgIdHdr) }
