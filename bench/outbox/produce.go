package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/time/rate"
)

// produce commits o.events events in transactions of o.perTx business rows
// and events each, spread over sc.producers goroutines, and returns the commit
// time of every event id.
func produce(ctx context.Context, pool *pgxpool.Pool, sys system, sc scenario, o options) (map[string]time.Time, error) {
	var limiter *rate.Limiter
	if sc.rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(float64(sc.rate)/float64(o.perTx)), sc.producers)
	}
	payload := make([]byte, o.size)
	copy(payload, `{"kind":"order.created","pad":"`)
	for i := 31; i < len(payload)-2; i++ {
		payload[i] = 'x'
	}
	copy(payload[len(payload)-2:], `"}`)
	var mu sync.Mutex
	commits := make(map[string]time.Time, o.events)
	errs := make(chan error, sc.producers)
	var wg sync.WaitGroup
	txs := o.events / o.perTx
	per := txs / sc.producers
	for p := range sc.producers {
		n := per
		if p == 0 {
			n += txs - per*sc.producers
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if limiter != nil {
					if err := limiter.Wait(ctx); err != nil {
						errs <- err
						return
					}
				}
				ids := make([]string, o.perTx)
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					for k := range ids {
						ids[k] = uuid.Must(uuid.NewV7()).String()
						agg := fmt.Sprintf("p%d-%d", p, (i*o.perTx+k)%64)
						if _, err := tx.Exec(ctx, "INSERT INTO orders (id, aggregate) VALUES ($1, $2)", ids[k], agg); err != nil {
							return err
						}
						if err := sys.write(ctx, tx, ids[k], agg, payload); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				now := time.Now()
				mu.Lock()
				for _, id := range ids {
					commits[id] = now
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, fmt.Errorf("producer: %w", err)
	}
	return commits, nil
}
