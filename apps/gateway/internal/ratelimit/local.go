package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Local is an in-process GCRA limiter (equivalent to a token bucket) kept per
// key. Idle keys are dropped when a shard grows past its bound. It never
// fails.
type Local struct {
	limit  Limit
	now    func() time.Time
	seed   maphash.Seed
	shards [64]localShard
}

var _ Limiter = (*Local)(nil)

type localShard struct {
	mu  sync.Mutex
	tat map[string]time.Time // theoretical arrival time per key
}

const maxKeysPerShard = 4096

// NewLocal returns a local limiter; now may be nil for time.Now.
func NewLocal(l Limit, now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	lc := &Local{limit: l, now: now, seed: maphash.MakeSeed()}
	for i := range lc.shards {
		lc.shards[i].tat = map[string]time.Time{}
	}
	return lc
}

// Allow implements Limiter.
func (lc *Local) Allow(_ context.Context, key string) (Result, error) {
	sh := &lc.shards[maphash.String(lc.seed, key)%uint64(len(lc.shards))]
	now := lc.now()
	sh.mu.Lock()
	tat, ok := sh.tat[key]
	if !ok && len(sh.tat) >= maxKeysPerShard {
		for k, t := range sh.tat {
			if !t.After(now) {
				delete(sh.tat, k)
			}
		}
	}
	r, newTAT := gcra(lc.limit, now, tat)
	if r.Allowed {
		sh.tat[key] = newTAT
	}
	sh.mu.Unlock()
	return r, nil
}

// gcra is the generic cell rate algorithm: tat is the theoretical arrival
// time of the next request (zero when unknown).
func gcra(l Limit, now, tat time.Time) (Result, time.Time) {
	iv := l.interval()
	burst := time.Duration(l.Burst) * iv
	if tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(iv)
	allowAt := newTAT.Add(-burst)
	r := Result{Limit: l.Burst}
	diff := now.Sub(allowAt)
	if diff < 0 {
		r.RetryAfter = -diff
		r.ResetAfter = tat.Sub(now)
		return r, tat
	}
	r.Allowed = true
	r.Remaining = int(diff / iv)
	r.ResetAfter = newTAT.Sub(now)
	return r, newTAT
}
