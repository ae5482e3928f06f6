package orderflow

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/centuria/centuria/libs/platform/events"
)

// Stream names without a prefix; each holds the events of one producer.
const (
	StreamOrders    = "ORDERS"
	StreamInventory = "INVENTORY"
	StreamPayments  = "PAYMENTS"
)

// DefaultSubjectPrefix is the outbox relay's default subject prefix.
const DefaultSubjectPrefix = "events"

// DuplicateWindow is the streams' Nats-Msg-Id deduplication window: the
// longest relay outage after which a republished event is still dropped.
const DuplicateWindow = 10 * time.Minute

// EnvPrefix is the environment variable that namespaces the streams and
// subjects, so that several copies of the services (tests, previews) share
// one NATS server without seeing each other's events.
const EnvPrefix = "EVENTS_PREFIX"

var prefixRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Topology names the streams and subjects of one deployment of the order
// flow. The zero value is the production topology: streams ORDERS,
// INVENTORY and PAYMENTS on subjects events.<aggregate>.<type>.
type Topology struct {
	prefix string
}

// NewTopology returns the topology namespaced by prefix: streams
// <PREFIX>_ORDERS..., subjects <prefix>.events.>. An empty prefix is the
// production topology. A prefix must be 1-64 lower-case letters, digits,
// '_' or '-'; otherwise the error wraps events.ErrInvalidConfig.
func NewTopology(prefix string) (Topology, error) {
	if prefix != "" && !prefixRE.MatchString(prefix) {
		return Topology{}, fmt.Errorf("%w: %s: %q must be 1-64 lower-case letters, digits, '_' or '-'", events.ErrInvalidConfig, EnvPrefix, prefix)
	}
	return Topology{prefix: prefix}, nil
}

// TopologyFromEnv reads EVENTS_PREFIX through lookup.
func TopologyFromEnv(lookup func(string) (string, bool)) (Topology, error) {
	p, _ := lookup(EnvPrefix)
	return NewTopology(p)
}

// Prefix returns the namespace ("" in production).
func (t Topology) Prefix() string { return t.prefix }

// SubjectPrefix is the outbox relay's SubjectPrefix: "events" or
// "<prefix>.events".
func (t Topology) SubjectPrefix() string {
	if t.prefix == "" {
		return DefaultSubjectPrefix
	}
	return t.prefix + "." + DefaultSubjectPrefix
}

// Stream returns the name of stream (StreamOrders...) in this topology.
func (t Topology) Stream(name string) string {
	if t.prefix == "" {
		return name
	}
	return strings.ToUpper(strings.ReplaceAll(t.prefix, "-", "_")) + "_" + name
}

// Subject returns the subject events of eventType about aggregate travel on.
func (t Topology) Subject(aggregate, eventType string) string {
	return t.SubjectPrefix() + "." + aggregate + "." + eventType
}

// streamOf maps each stream to the aggregate whose events it captures.
var streamOf = map[string]string{
	StreamOrders:    AggregateOrder,
	StreamInventory: AggregateStock,
	StreamPayments:  AggregatePayment,
}

// StreamSpec returns the spec of stream (StreamOrders...). It panics on an
// unknown name, which is a programming error.
func (t Topology) StreamSpec(name string) events.StreamSpec {
	agg, ok := streamOf[name]
	if !ok {
		panic("orderflow: unknown stream " + name)
	}
	return events.StreamSpec{
		Name:       t.Stream(name),
		Subjects:   []string{t.SubjectPrefix() + "." + agg + ".>"},
		Duplicates: DuplicateWindow,
		MaxAge:     7 * 24 * time.Hour,
	}
}

// Streams returns the specs of every stream of the flow. Every service
// ensures all of them, so that it can start before the producers of the
// streams it consumes.
func (t Topology) Streams() []events.StreamSpec {
	return []events.StreamSpec{t.StreamSpec(StreamOrders), t.StreamSpec(StreamInventory), t.StreamSpec(StreamPayments)}
}

// Consumer returns the spec of durable on stream. With exactly one event
// type it filters on that type's subject; with several it takes the whole
// stream (NATS servers before 2.10 cannot filter on several subjects), and
// the consumer registers Ignore for the types it does not act on.
func (t Topology) Consumer(stream, durable string, eventTypes ...string) events.ConsumerSpec {
	c := events.ConsumerSpec{Stream: t.Stream(stream), Durable: durable}
	if len(eventTypes) == 1 {
		c.FilterSubjects = []string{t.Subject(streamOf[stream], eventTypes[0])}
	}
	return c
}
