package ratelimit_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/centuria/centuria/apps/gateway/internal/ratelimit"
	"github.com/centuria/centuria/internal/testenv"
)

func newSynced(t *testing.T, c *redis.Client, prefix string, l ratelimit.Limit, interval time.Duration, replicas int) *ratelimit.Synced {
	s := ratelimit.NewSynced(ratelimit.NewRedis(c, prefix, l, time.Second), c, interval, replicas, nil)
	t.Cleanup(s.Close)
	return s
}

func TestSyncedConformance(t *testing.T) {
	runConformance(t, func(t *testing.T, l ratelimit.Limit) ratelimit.Limiter {
		c, prefix := redisClient(t)
		return newSynced(t, c, prefix, l, 20*time.Millisecond, 1)
	})
}

// TestSyncedChargesRedis: passes decided locally reach the shared state,
// so an exact limiter on the same keys sees the bucket used up, and what
// is still uncharged at Close is charged then.
func TestSyncedChargesRedis(t *testing.T) {
	c, prefix := redisClient(t)
	l := ratelimit.Limit{Rate: 10, Period: time.Hour, Burst: 10}
	exact := ratelimit.NewRedis(c, prefix, l, time.Second)
	s := ratelimit.NewSynced(ratelimit.NewRedis(c, prefix, l, time.Second), c, time.Hour, 1, nil)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		if r, err := s.Allow(ctx, "k"); err != nil || !r.Allowed {
			t.Fatalf("request %d: %+v %v", i, r, err)
		}
	}
	s.Close() // the sync interval is an hour: only Close charges
	r, err := exact.Allow(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Allowed || r.Remaining != 3 {
		t.Fatalf("exact limiter after 6 synced passes: %+v, want allowed with 3 remaining", r)
	}
}

// TestSyncedReplicasShareOneLimit runs three synced replicas (separate
// clients) on one limit of 100 with no refill to speak of: with replicas: 3
// each spends a third of what it last saw available, so the total stays
// within a few requests of the limit (the documented rounding: at most one
// request per replica and sync).
func TestSyncedReplicasShareOneLimit(t *testing.T) {
	_, prefix := redisClient(t)
	l := ratelimit.Limit{Rate: 100, Period: time.Hour, Burst: 100}
	var lims []ratelimit.Limiter
	for i := 0; i < 3; i++ {
		c := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr()})
		t.Cleanup(func() { c.Close() })
		lims = append(lims, newSynced(t, c, prefix, l, 10*time.Millisecond, 3))
	}
	var allowed atomic.Int64
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
				if r.Allowed {
					allowed.Add(1)
				}
				time.Sleep(time.Millisecond) // spread over several syncs
			}
		}(lims[i%3])
	}
	wg.Wait()
	t.Logf("synced replicas passed %d of 600 (limit 100)", allowed.Load())
	if n := allowed.Load(); n < 95 || n > 110 {
		t.Fatalf("synced replicas passed %d of 600, want 95..110", n)
	}
}

// TestSyncedUnavailable: a first request needs Redis; when Redis cannot be
// reached the error wraps ErrUnavailable, so Fallback applies its mode.
func TestSyncedUnavailable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	s := newSynced(t, c, "x:", ratelimit.Limit{Rate: 10, Period: time.Second, Burst: 10}, 10*time.Millisecond, 1)
	if _, err := s.Allow(context.Background(), "k"); !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

// BenchmarkAllow compares the Redis modes on one hot key: exact (one
// pipelined script call per request), leases of 50, and synchronised.
func BenchmarkAllow(b *testing.B) {
	addr, prefix := testenv.Redis(b)
	c := redis.NewClient(&redis.Options{Addr: addr})
	b.Cleanup(func() { c.Close() })
	l := ratelimit.Limit{Rate: 1000000, Period: time.Second, Burst: 100000}
	batch := ratelimit.NewBatcher(c, 4, time.Second)
	b.Cleanup(batch.Close)
	synced := ratelimit.NewSynced(ratelimit.NewRedis(c, prefix+"s:", l, time.Second), c, 50*time.Millisecond, 1, nil)
	b.Cleanup(synced.Close)
	for _, m := range []struct {
		name string
		lim  ratelimit.Limiter
	}{
		{"exact", ratelimit.NewBatchedRedis(batch, prefix+"e:", l, time.Second)},
		{"lease50", ratelimit.NewLeased(ratelimit.NewBatchedRedis(batch, prefix+"l:", l, time.Second), 50, nil)},
		{"sync50ms", synced},
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

// forwarder is a TCP proxy to Redis that the test can cut.
type forwarder struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newForwarder(t *testing.T, target string) *forwarder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forwarder{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, u)
			f.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(f.cut)
	return f
}

func (f *forwarder) cut() {
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

// TestSyncedReportsFailingSyncs: keys already held keep being decided
// locally while syncs fail, until syncs have failed for the unhealthy
// period (1s here); then Allow reports ErrUnavailable so the route's
// on_redis_error applies. A clock that jumps (a late sync) alone does not.
func TestSyncedReportsFailingSyncs(t *testing.T) {
	_, prefix := redisClient(t)
	fw := newForwarder(t, testenv.RedisAddr())
	c := redis.NewClient(&redis.Options{Addr: fw.ln.Addr().String(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond,
		ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	l := ratelimit.Limit{Rate: 1000, Period: time.Second, Burst: 1000}
	s := ratelimit.NewSynced(ratelimit.NewRedis(c, prefix, l, 100*time.Millisecond), c, 10*time.Millisecond, 1, now)
	t.Cleanup(s.Close)
	ctx := context.Background()
	if _, err := s.Allow(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	skew.Add(int64(5 * time.Second)) // late, but no sync failed
	if _, err := s.Allow(ctx, "k"); err != nil {
		t.Fatalf("a late sync made the limiter unavailable: %v", err)
	}
	fw.cut()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.Allow(ctx, "k")
		if errors.Is(err, ratelimit.ErrUnavailable) {
			return
		}
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("failing syncs never made Allow report ErrUnavailable")
		}
		// No pause: the key stays in use, so its entry is kept and this
		// checks the sync health, not a first call failing.
	}
}
