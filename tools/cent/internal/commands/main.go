package commands

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Main runs cent with the process's arguments and exits; it is the whole of
// the cent and cent-full main packages.
func Main() {
	// Most cent commands are short-lived and keep what they allocate (the
	// graph, the plan) until they exit: collecting less often saves CPU for
	// a few more megabytes. GOGC still wins; long-running commands reset it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
