package testenv

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedNATS is a nats-server with JetStream running inside the test
// process on a fixed random loopback port, with its store in a temporary
// directory. It can be stopped and restarted on the same port and store,
// which lets tests crash the broker under a running client.
type EmbeddedNATS struct {
	t    testing.TB
	opts server.Options
	mu   sync.Mutex
	srv  *server.Server
}

// NATSServer starts an embedded nats-server with JetStream for the test and
// shuts it down when the test ends.
func NATSServer(t testing.TB) *EmbeddedNATS {
	t.Helper()
	e := &EmbeddedNATS{t: t, opts: server.Options{
		Host:      "127.0.0.1",
		Port:      freePort(t),
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoLog:     true,
		NoSigs:    true,
		// Allow messages up to 8 MiB so tests can exercise stream limits
		// below the connection limit.
		MaxPayload: 8 << 20,
	}}
	e.Start()
	t.Cleanup(e.Shutdown)
	return e
}

// URL returns the client URL of the server.
func (e *EmbeddedNATS) URL() string {
	return fmt.Sprintf("nats://%s:%d", e.opts.Host, e.opts.Port)
}

// Start starts the server if it is not running, failing the test if it does
// not become ready.
func (e *EmbeddedNATS) Start() {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return
	}
	opts := e.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		e.t.Fatalf("testenv: embedded nats-server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		e.t.Fatalf("testenv: embedded nats-server on %s not ready", e.URL())
	}
	e.srv = srv
}

// Shutdown stops the server; Start starts it again on the same port and
// store.
func (e *EmbeddedNATS) Shutdown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv == nil {
		return
	}
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.srv = nil
}

// Restart stops and starts the server.
func (e *EmbeddedNATS) Restart() {
	e.t.Helper()
	e.Shutdown()
	e.Start()
}
