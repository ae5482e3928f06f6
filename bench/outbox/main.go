// Command outbox benchmarks the chassis's transactional outbox relay against
// Watermill's forwarder (watermill-sql + watermill-nats) on the same
// PostgreSQL and NATS JetStream in the same run, and prints a Markdown
// table: end-to-end events/s, commit-to-stream latency, lost and duplicated
// events, and the ratio to Watermill.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "outbox bench:", err)
		os.Exit(1)
	}
}
