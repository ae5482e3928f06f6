package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream connects to the NATS server at url, reconnecting forever, and
// when the test ends deletes the streams whose names start with prefix and
// closes the connection.
func JetStream(t testing.TB, url, prefix string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	Must(t, err, "connecting to NATS at %s", url)
	js, err := jetstream.New(nc)
	Must(t, err, "jetstream")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var del []string
		names := js.StreamNames(ctx)
		for n := range names.Name() {
			if strings.HasPrefix(n, prefix) {
				del = append(del, n)
			}
		}
		for _, n := range del {
			js.DeleteStream(ctx, n)
		}
		nc.Close()
	})
	return nc, js
}
