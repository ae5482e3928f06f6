package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/centuria/centuria/apps/gateway/internal/ratelimit"
)

// runConformance checks behaviour every Limiter must share. The period is
// long so that refill during the test is negligible and nothing depends on
// timing.
func runConformance(t *testing.T, newLimiter func(t *testing.T, l ratelimit.Limit) ratelimit.Limiter) {
	ctx := context.Background()
	l := ratelimit.Limit{Rate: 10, Period: time.Hour, Burst: 10}
	t.Run("burst then deny", func(t *testing.T) {
		lim := newLimiter(t, l)
		for i := 0; i < 10; i++ {
			r, err := lim.Allow(ctx, "k")
			if err != nil || !r.Allowed {
				t.Fatalf("request %d: %+v %v", i, r, err)
			}
			if r.Remaining != 9-i || r.Limit != 10 {
				t.Fatalf("request %d: remaining %d limit %d", i, r.Remaining, r.Limit)
			}
		}
		r, err := lim.Allow(ctx, "k")
		if err != nil || r.Allowed {
			t.Fatalf("11th request allowed: %+v %v", r, err)
		}
		// One request costs period/rate = 6 minutes.
		if r.RetryAfter <= 5*time.Minute || r.RetryAfter > 6*time.Minute || r.Remaining != 0 {
			t.Fatalf("retry after %v remaining %d", r.RetryAfter, r.Remaining)
		}
	})
	t.Run("keys are independent", func(t *testing.T) {
		lim := newLimiter(t, ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 1})
		for _, k := range []string{"a", "b", "c"} {
			if r, err := lim.Allow(ctx, k); err != nil || !r.Allowed {
				t.Fatalf("key %s: %+v %v", k, r, err)
			}
		}
		if r, _ := lim.Allow(ctx, "a"); r.Allowed {
			t.Fatal("second request for a allowed")
		}
	})
}

func TestLocalConformance(t *testing.T) {
	runConformance(t, func(t *testing.T, l ratelimit.Limit) ratelimit.Limiter { return ratelimit.NewLocal(l, nil) })
}

func TestLocalRefillsWithInjectedClock(t *testing.T) {
	now := time.Unix(1000, 0)
	lim := ratelimit.NewLocal(ratelimit.Limit{Rate: 2, Period: time.Second, Burst: 2}, func() time.Time { return now })
	ctx := context.Background()
	allowed := 0
	for i := 0; i < 100; i++ { // 10 seconds in 100ms steps
		if r, _ := lim.Allow(ctx, "k"); r.Allowed {
			allowed++
		}
		now = now.Add(100 * time.Millisecond)
	}
	// Burst 2, then 2 per second over 10 seconds: 2 + 2*10 - (the last
	// partial interval) gives 21 or 22.
	if allowed < 21 || allowed > 22 {
		t.Fatalf("allowed %d in 10s at 2/s burst 2", allowed)
	}
}
