// Command gateway is Centuria's API gateway: TLS termination, JWT (JWKS) and
// API-key authentication, local and Redis-backed rate limits, and safe
// routing to upstream services. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/centuria/centuria/apps/gateway/internal/commands"
)

func main() {
	// The proxy allocates little per request and keeps a small heap: trade
	// some memory for less GC work unless the operator chose GOGC.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := commands.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
