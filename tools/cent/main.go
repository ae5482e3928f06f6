// Command cent is Centuria's monorepo tool: project graph, affected, boundary
// lint, and a cached parallel task runner for Go workspaces.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/centuria/centuria/tools/cent/internal/commands"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := commands.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
