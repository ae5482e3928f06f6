package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	notificationstore "github.com/centuria/centuria/libs/notifications/data-access-notifications"
)

// Sink delivers a notification to the customer (e-mail, push, a log line).
// Send runs inside the transaction that records the notification: an error
// rolls it back and the event is retried, so delivery is at least once.
type Sink interface {
	Send(ctx context.Context, n notificationstore.Notification) error
}

// EnvSink selects the sink by name.
const EnvSink = "NOTIFICATIONS_SINK"

// DefaultSink is the sink used when NOTIFICATIONS_SINK is unset.
const DefaultSink = "log"

// sinks registers each sink's name and constructor.
var sinks = map[string]func(logger *slog.Logger) Sink{
	"log": func(logger *slog.Logger) Sink { return LogSink{Logger: logger} },
}

// NewSink returns the sink registered as name ("log").
func NewSink(name string, logger *slog.Logger) (Sink, error) {
	mk, ok := sinks[name]
	if !ok {
		names := make([]string, 0, len(sinks))
		for n := range sinks {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%w: %s: %q (known: %s)", ErrUnknownSink, EnvSink, name, strings.Join(names, ", "))
	}
	return mk(logger), nil
}

// SinkFromEnv returns the sink named by NOTIFICATIONS_SINK (default log).
func SinkFromEnv(lookup func(string) (string, bool), logger *slog.Logger) (Sink, string, error) {
	name, ok := lookup(EnvSink)
	if !ok || name == "" {
		name = DefaultSink
	}
	s, err := NewSink(name, logger)
	return s, name, err
}

// LogSink writes each notification as a structured log line.
type LogSink struct {
	Logger *slog.Logger
}

var _ Sink = LogSink{}

// Send logs n at info level with the trace of ctx.
func (s LogSink) Send(ctx context.Context, n notificationstore.Notification) error {
	l := s.Logger
	if l == nil {
		l = slog.Default()
	}
	l.InfoContext(ctx, "notification", "notification_id", n.ID, "order_id", n.OrderID,
		"customer_id", n.CustomerID, "kind", string(n.Kind), "message", n.Message)
	return nil
}
