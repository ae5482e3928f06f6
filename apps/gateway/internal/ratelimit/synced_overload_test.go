package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/centuria/centuria/apps/gateway/internal/ratelimit"
	"github.com/centuria/centuria/internal/testenv"
)

// TestSyncedSustainedOverloadBound loads three synced replicas far above a
// limit of 1000/s (burst 100) for two seconds and checks the documented
// bound: at most burst + rate × elapsed + replicas × rate × interval (a
// replica passes at most rate × interval on refill per sync, however late
// the sync), plus one request per replica for rounding.
func TestSyncedSustainedOverloadBound(t *testing.T) {
	_, prefix := redisClient(t)
	const rate, burst, replicas = 1000.0, 100, 3
	const interval = 50 * time.Millisecond
	l := ratelimit.Limit{Rate: rate, Period: time.Second, Burst: burst}
	var lims []ratelimit.Limiter
	for i := 0; i < replicas; i++ {
		c := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr()})
		t.Cleanup(func() { c.Close() })
		lims = append(lims, newSynced(t, c, prefix, l, interval, replicas))
	}
	var allowed, total atomic.Int64
	start := time.Now()
	stop := start.Add(2 * time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 3*replicas; i++ {
		wg.Add(1)
		go func(lim ratelimit.Limiter) {
			defer wg.Done()
			for time.Now().Before(stop) {
				r, err := lim.Allow(context.Background(), "k")
				if err != nil {
					t.Error(err)
					return
				}
				total.Add(1)
				if r.Allowed {
					allowed.Add(1)
				}
			}
		}(lims[i%replicas])
	}
	wg.Wait()
	elapsed := time.Since(start)
	exact := float64(burst) + rate*elapsed.Seconds()
	bound := exact + replicas*rate*interval.Seconds() + replicas
	t.Logf("%d of %d passed in %v: exact limit %.0f (%+.1f%%), bound %.0f", allowed.Load(), total.Load(), elapsed, exact,
		100*(float64(allowed.Load())-exact)/exact, bound)
	if float64(allowed.Load()) > bound {
		t.Fatalf("passed %d, above the documented bound %.0f", allowed.Load(), bound)
	}
}
