package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/centuria/centuria/apps/gateway/internal/ratelimit"
	"github.com/centuria/centuria/internal/testenv"
)

func redisClient(t *testing.T) (*redis.Client, string) {
	addr, prefix := testenv.Redis(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := c.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		c.Close()
	})
	return c, prefix
}

func TestRedisConformance(t *testing.T) {
	runConformance(t, func(t *testing.T, l ratelimit.Limit) ratelimit.Limiter {
		c, prefix := redisClient(t)
		return ratelimit.NewRedis(c, prefix, l, time.Second)
	})
}

// TestRedisSharedAcrossClients runs three "replicas" (separate clients)
// concurrently against one limit: GCRA in one atomic script admits exactly
// the burst, with no GET-then-SET race.
func TestRedisSharedAcrossClients(t *testing.T) {
	_, prefix := redisClient(t)
	addr := testenv.RedisAddr()
	l := ratelimit.Limit{Rate: 100, Period: time.Hour, Burst: 100}
	var lims []ratelimit.Limiter
	for i := 0; i < 3; i++ {
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { c.Close() })
		lims = append(lims, ratelimit.NewRedis(c, prefix, l, time.Second))
	}
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(lim ratelimit.Limiter) {
				defer wg.Done()
				for j := 0; j < 50; j++ {
					r, err := lim.Allow(context.Background(), "shared")
					if err != nil {
						t.Error(err)
						return
					}
					if r.Allowed {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				}
			}(lims[i])
		}
	}
	wg.Wait()
	// 600 attempts; the limit is 100 (+ at most one refill in a few ms).
	if allowed < 100 || allowed > 101 {
		t.Fatalf("allowed %d of 600, want 100", allowed)
	}
}

// flaky fails the calls whose numbers are in fail, and allows the others.
type flaky struct {
	calls int
	fail  map[int]bool
}

func (f *flaky) Allow(ctx context.Context, _ string) (ratelimit.Result, error) {
	f.calls++
	if f.fail[f.calls] {
		return ratelimit.Result{}, ratelimit.ErrUnavailable
	}
	return ratelimit.Result{Allowed: true}, nil
}

// TestFallbackTripsOnAStreak: one failed call fails closed for its own
// request only; TripAfter failures in a row skip the primary for a
// Cooldown; a request whose context ended does not count.
func TestFallbackTripsOnAStreak(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	prim := &flaky{fail: map[int]bool{1: true, 3: true, 4: true, 5: true}}
	f := ratelimit.NewFallback(prim, ratelimit.FailClosed, ratelimit.Limit{Rate: 1, Period: time.Second, Burst: 1}, 1, clock, nil)
	ctx := context.Background()
	want := []bool{false, true, false, false, false} // calls 1-5
	for i, ok := range want {
		_, err := f.Allow(ctx, "k")
		if (err == nil) != ok {
			t.Fatalf("call %d: err %v, want allowed=%v", i+1, err, ok)
		}
	}
	// Tripped: the primary is not called during the cooldown.
	if _, err := f.Allow(ctx, "k"); err == nil || prim.calls != 5 {
		t.Fatalf("during the cooldown: err %v, primary calls %d (want 5)", err, prim.calls)
	}
	now = now.Add(ratelimit.Cooldown)
	if _, err := f.Allow(ctx, "k"); err != nil || prim.calls != 6 {
		t.Fatalf("after the cooldown: err %v, primary calls %d", err, prim.calls)
	}
	// A cancelled request's failure is its own: three of them do not trip.
	prim.fail = map[int]bool{7: true, 8: true, 9: true}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for range 3 {
		f.Allow(cancelled, "k")
	}
	if _, err := f.Allow(ctx, "k"); err != nil || prim.calls != 10 {
		t.Fatalf("cancelled requests tripped the breaker: err %v, primary calls %d", err, prim.calls)
	}
}

func TestFallbackModes(t *testing.T) {
	// A real connection failure: nothing listens on port 1.
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { dead.Close() })
	l := ratelimit.Limit{Rate: 9, Period: time.Hour, Burst: 9}
	prim := ratelimit.NewRedis(dead, "x:", l, time.Second)
	ctx := context.Background()
	if _, err := prim.Allow(ctx, "k"); !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Fatalf("dead redis: %v", err)
	}

	open := ratelimit.NewFallback(prim, ratelimit.FailOpen, l, 3, nil, nil)
	for i := 0; i < 20; i++ {
		if r, err := open.Allow(ctx, "k"); err != nil || !r.Allowed {
			t.Fatalf("fail-open denied: %+v %v", r, err)
		}
	}
	if open.Failures.Load() != 20 { // TripAfter real attempts, then the cooldown
		t.Fatalf("failures counted %d", open.Failures.Load())
	}

	closed := ratelimit.NewFallback(prim, ratelimit.FailClosed, l, 3, nil, nil)
	if _, err := closed.Allow(ctx, "k"); !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Fatalf("fail-closed: %v", err)
	}

	local := ratelimit.NewFallback(prim, ratelimit.FailLocal, l, 3, nil, nil)
	allowed := 0
	for i := 0; i < 20; i++ {
		r, err := local.Allow(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if r.Allowed {
			allowed++
		}
	}
	if allowed != 3 { // 9 across 3 replicas: 3 each
		t.Fatalf("local fallback allowed %d, want limit/N = 3", allowed)
	}
}

func TestBatchedRedisConformance(t *testing.T) {
	runConformance(t, func(t *testing.T, l ratelimit.Limit) ratelimit.Limiter {
		c, prefix := redisClient(t)
		b := ratelimit.NewBatcher(c, 2, time.Second)
		t.Cleanup(b.Close)
		return ratelimit.NewBatchedRedis(b, prefix, l, time.Second)
	})
}

// TestBatchedRedisConcurrentExactness sends many concurrent calls through
// one batcher (so they share pipelines) and checks the limit is exact.
func TestBatchedRedisConcurrentExactness(t *testing.T) {
	c, prefix := redisClient(t)
	b := ratelimit.NewBatcher(c, 3, 2*time.Second)
	t.Cleanup(b.Close)
	lim := ratelimit.NewBatchedRedis(b, prefix, ratelimit.Limit{Rate: 150, Period: time.Hour, Burst: 150}, 2*time.Second)
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for w := 0; w < 30; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				r, err := lim.Allow(context.Background(), "k")
				if err != nil {
					t.Error(err)
					return
				}
				if r.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed < 150 || allowed > 151 {
		t.Fatalf("allowed %d of 600, want 150", allowed)
	}
}

func TestLeasedConformance(t *testing.T) {
	runConformance(t, func(t *testing.T, l ratelimit.Limit) ratelimit.Limiter {
		c, prefix := redisClient(t)
		return ratelimit.NewLeased(ratelimit.NewRedis(c, prefix, l, time.Second), 5, nil)
	})
}

// TestLeasedReplicasNeverExceedTheLimit: three replicas leasing 7 tokens
// at a time from one limit of 100 pass exactly 100 when they use their
// leases up.
func TestLeasedReplicasNeverExceedTheLimit(t *testing.T) {
	_, prefix := redisClient(t)
	l := ratelimit.Limit{Rate: 100, Period: time.Hour, Burst: 100}
	var lims []ratelimit.Limiter
	for i := 0; i < 3; i++ {
		c := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr()})
		t.Cleanup(func() { c.Close() })
		lims = append(lims, ratelimit.NewLeased(ratelimit.NewRedis(c, prefix, l, time.Second), 7, nil))
	}
	var mu sync.Mutex
	allowed, calls := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(lim ratelimit.Limiter) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				r, err := lim.Allow(context.Background(), "k")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				calls++
				if r.Allowed {
					allowed++
				}
				mu.Unlock()
			}
		}(lims[i%3])
	}
	wg.Wait()
	if allowed < 95 || allowed > 100 {
		t.Fatalf("leased replicas passed %d of %d, want 95..100 (never more than the limit)", allowed, calls)
	}
}

// BenchmarkAllow compares the Redis modes on one hot key: exact (one
// pipelined script call per request) and leases of 50.
func BenchmarkAllow(b *testing.B) {
	addr, prefix := testenv.Redis(b)
	c := redis.NewClient(&redis.Options{Addr: addr})
	b.Cleanup(func() { c.Close() })
	l := ratelimit.Limit{Rate: 1000000, Period: time.Second, Burst: 100000}
	batch := ratelimit.NewBatcher(c, 4, time.Second)
	b.Cleanup(batch.Close)
	for _, m := range []struct {
		name string
		lim  ratelimit.Limiter
	}{
		{"exact", ratelimit.NewBatchedRedis(batch, prefix+"e:", l, time.Second)},
		{"lease50", ratelimit.NewLeased(ratelimit.NewBatchedRedis(batch, prefix+"l:", l, time.Second), 50, nil)},
	} {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := m.lim.Allow(context.Background(), "k"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
