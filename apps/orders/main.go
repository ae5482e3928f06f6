// Command orders is the orders reference service: customers place, read
// and list orders over HTTP; placing writes the order and order.placed in
// one transaction, and stock and payment outcomes confirm or cancel it. See
// README.md.
package main

import (
	"context"
	"os"

	orderstore "github.com/centuria/centuria/libs/orders/data-access-orders"
	confirmation "github.com/centuria/centuria/libs/orders/feature-confirmation"
	placement "github.com/centuria/centuria/libs/orders/feature-placement"
	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/centuria/centuria/libs/platform/service"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

func main() { service.Main(spec(os.LookupEnv)) }

// spec describes the service; lookup reads EVENTS_PREFIX.
func spec(lookup func(string) (string, bool)) service.Spec {
	tp, err := orderflow.TopologyFromEnv(lookup)
	return service.Spec{
		Name:       "orders",
		Migrations: orderstore.Migrations(),
		Streams:    tp.StreamsOrNone(err),
		Setup: func(ctx context.Context, s *service.Service) error {
			if err != nil {
				return err
			}
			placement.New(s.DB().Pool).Register(s)
			if err := s.Relay(outbox.RelayConfig{SubjectPrefix: tp.SubjectPrefix()}); err != nil {
				return err
			}
			return tp.Subscribe(s, confirmation.New(nil).Subscriptions()...)
		},
	}
}
