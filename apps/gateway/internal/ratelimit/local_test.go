package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func TestLocalMemoryIsBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	lim := NewLocal(Limit{Rate: 1, Period: time.Hour, Burst: 1}, func() time.Time { return now })
	lim.maxKeys = 32
	for i := 0; i < 64*32*4; i++ {
		_, _ = lim.Allow(context.Background(), strconv.Itoa(i))
	}
	if n := lim.Keys(); n > 64*32 {
		t.Fatalf("%d keys kept, bound is %d", n, 64*32)
	}
	// Keys whose bucket refilled are dropped first.
	now = now.Add(2 * time.Hour)
	for i := 0; i < 64*4; i++ { // far below the bound in every shard
		_, _ = lim.Allow(context.Background(), "new"+strconv.Itoa(i))
	}
	if r, _ := lim.Allow(context.Background(), "new1"); r.Allowed {
		t.Fatal("an active key was evicted while expired ones were available")
	}
}
