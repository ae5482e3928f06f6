// Command affectedbench measures cent's graph and affected commands side by
// side with `go list -deps -test -json ./...` on generated workspaces of
// several sizes, and prints a table of median wall time, peak RSS and the
// ratio to go list measured in the same run:
//
//	go run ./bench/cmd/affectedbench [-sizes small,large] [-rounds 5] [-change root-util] [-cent BIN]
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
