// Command notifications is the notifications reference service: it records
// and sends one notification per confirmed or cancelled order and lists
// them over HTTP. See README.md.
package main

import (
	"context"
	"os"

	notificationstore "github.com/centuria/centuria/libs/notifications/data-access-notifications"
	notify "github.com/centuria/centuria/libs/notifications/feature-notify"
	"github.com/centuria/centuria/libs/platform/service"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

func main() { service.Main(spec(os.LookupEnv)) }

// spec describes the service; lookup reads EVENTS_PREFIX and
// NOTIFICATIONS_SINK.
func spec(lookup func(string) (string, bool)) service.Spec {
	tp, err := orderflow.TopologyFromEnv(lookup)
	return service.Spec{
		Name:       "notifications",
		Migrations: notificationstore.Migrations(),
		Streams:    tp.StreamsOrNone(err),
		Setup: func(ctx context.Context, s *service.Service) error {
			if err != nil {
				return err
			}
			sink, name, err := notify.SinkFromEnv(lookup, s.Logger())
			if err != nil {
				return err
			}
			notify.Register(s, s.DB().Pool)
			return tp.Subscribe(s, notify.New(sink, name, nil).Subscriptions()...)
		},
	}
}
