// Command cent is Centuria's monorepo tool: project graph, affected, boundary
// lint, and a cached parallel task runner for Go workspaces.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/centuria/centuria/tools/cent/internal/commands"
)

func main() {
	// Most cent commands are short-lived and keep what they allocate (the
	// graph, the plan) until they exit: collecting less often saves CPU for
	// a few more megabytes. GOGC still wins; long-running commands reset it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := commands.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
