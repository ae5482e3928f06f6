// Command wsgen writes a deterministic synthetic Go monorepo for tests and
// benchmarks of cent:
//
//	go run ./bench/cmd/wsgen -preset small -out DIR [-seed N] [-manifest FILE]
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
