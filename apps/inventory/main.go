// Command inventory is the inventory reference service: it reserves stock
// for placed orders (all items or none), releases it when their payment
// fails, and serves stock levels over HTTP. See README.md.
package main

import (
	"context"
	"os"

	stockstore "github.com/centuria/centuria/libs/inventory/data-access-stock"
	reservation "github.com/centuria/centuria/libs/inventory/feature-reservation"
	stockapi "github.com/centuria/centuria/libs/inventory/feature-stock"
	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/centuria/centuria/libs/platform/service"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

func main() { service.Main(spec(os.LookupEnv)) }

// spec describes the service; lookup reads EVENTS_PREFIX.
func spec(lookup func(string) (string, bool)) service.Spec {
	tp, err := orderflow.TopologyFromEnv(lookup)
	return service.Spec{
		Name:       "inventory",
		Migrations: stockstore.Migrations(),
		Streams:    tp.StreamsOrNone(err),
		Setup: func(ctx context.Context, s *service.Service) error {
			if err != nil {
				return err
			}
			stockapi.New(s.DB().Pool, nil).Register(s)
			if err := s.Relay(outbox.RelayConfig{SubjectPrefix: tp.SubjectPrefix()}); err != nil {
				return err
			}
			return tp.Subscribe(s, reservation.New(nil).Subscriptions()...)
		},
	}
}
