// Command devstack runs the whole Centuria platform on one machine for
// development: `devstack up` starts the gateway and the reference services
// as local processes, `devstack demo` places a few orders through it. See
// the "Local platform (make up)" section of the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/centuria/centuria/tools/devstack/internal/commands"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := commands.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
