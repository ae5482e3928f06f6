// Command payments is the payments reference service: it charges orders
// whose stock is reserved through a simulated provider (configurable
// failure rate) and serves payments over HTTP. See README.md.
package main

import (
	"context"
	"errors"
	"os"

	paymentstore "github.com/centuria/centuria/libs/payments/data-access-payments"
	capture "github.com/centuria/centuria/libs/payments/feature-capture"
	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/centuria/centuria/libs/platform/service"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

func main() { service.Main(spec(os.LookupEnv)) }

// spec describes the service; lookup reads EVENTS_PREFIX,
// PAYMENTS_FAILURE_RATE and PAYMENTS_FAIL_AMOUNT_CENTS.
func spec(lookup func(string) (string, bool)) service.Spec {
	tp, err := orderflow.TopologyFromEnv(lookup)
	cfg, cfgErr := capture.ConfigFromEnv(lookup)
	err = errors.Join(err, cfgErr)
	return service.Spec{
		Name:       "payments",
		Migrations: paymentstore.Migrations(),
		Streams:    tp.StreamsOrNone(err),
		Setup: func(ctx context.Context, s *service.Service) error {
			if err != nil {
				return err
			}
			provider, err := capture.NewSimulated(cfg, nil)
			if err != nil {
				return err
			}
			capture.Register(s, s.DB().Pool)
			if err := s.Relay(outbox.RelayConfig{SubjectPrefix: tp.SubjectPrefix()}); err != nil {
				return err
			}
			return tp.Subscribe(s, capture.New(provider, nil).Subscriptions()...)
		},
	}
}
