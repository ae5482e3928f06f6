package main

import (
	"context"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	wmsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
)

// watermillSys is Watermill's forwarder: the message is written through
// watermill-sql's publisher in the transaction, the forwarder polls the SQL
// table (every 10 ms, its best setting here) and publishes to JetStream
// with watermill-nats.
type watermillSys struct {
	env    *env
	schema wmsql.DefaultPostgreSQLSchema
}

const forwarderTopic = "outbox_forwarder"

func (w *watermillSys) stream() string { return strings.ToUpper(w.env.name) }

func (w *watermillSys) setup(ctx context.Context) error {
	if _, err := w.env.js.CreateStream(ctx, jetstream.StreamConfig{Name: w.stream(), Subjects: []string{w.stream()}, Storage: jetstream.FileStorage}); err != nil {
		return err
	}
	sub, err := w.subscriber()
	if err != nil {
		return err
	}
	defer sub.Close()
	return sub.SubscribeInitialize(forwarderTopic)
}

func (w *watermillSys) subscriber() (*wmsql.Subscriber, error) {
	return wmsql.NewSubscriber(wmsql.BeginnerFromPgx(w.env.pool), wmsql.SubscriberConfig{
		SchemaAdapter:    w.schema,
		OffsetsAdapter:   wmsql.DefaultPostgreSQLOffsetsAdapter{},
		InitializeSchema: true,
		PollInterval:     10 * time.Millisecond,
	}, watermill.NopLogger{})
}

func (w *watermillSys) write(ctx context.Context, tx pgx.Tx, id, _ string, payload []byte) error {
	pub, err := wmsql.NewPublisher(wmsql.TxFromPgx(tx), wmsql.PublisherConfig{SchemaAdapter: w.schema}, watermill.NopLogger{})
	if err != nil {
		return err
	}
	msg := message.NewMessage(id, payload)
	msg.SetContext(ctx)
	return forwarder.NewPublisher(pub, forwarder.PublisherConfig{ForwarderTopic: forwarderTopic}).Publish(w.stream(), msg)
}

func (w *watermillSys) start(ctx context.Context) (func(), error) {
	sub, err := w.subscriber()
	if err != nil {
		return nil, err
	}
	pub, err := wmjs.NewPublisher(wmjs.PublisherConfig{
		Conn:   w.env.nc,
		Logger: watermill.NopLogger{},
		ConfigureStream: func(topic string) jetstream.StreamConfig {
			return jetstream.StreamConfig{Name: topic, Subjects: []string{topic}}
		},
	})
	if err != nil {
		return nil, err
	}
	fwd, err := forwarder.NewForwarder(sub, pub, watermill.NopLogger{}, forwarder.Config{ForwarderTopic: forwarderTopic})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { fwd.Run(ctx); close(done) }()
	<-fwd.Running()
	return func() { cancel(); fwd.Close(); <-done; sub.Close() }, nil
}

func (w *watermillSys) id(m jetstream.Msg) string { return m.Headers().Get(wmnats.WatermillUUIDHdr) }
