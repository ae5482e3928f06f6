// Command gateway is Centuria's API gateway: TLS termination, JWT (JWKS) and
// API-key authentication, local and Redis-backed rate limits, and safe
// routing to upstream services. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/centuria/centuria/apps/gateway/internal/commands"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := commands.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
