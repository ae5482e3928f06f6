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
	limit   Limit
	maxKeys int // per shard
	now     func() time.Time
	seed    maphash.Seed
	shards  [64]localShard
}

var _ Limiter = (*Local)(nil)

type localShard struct {
	mu  sync.Mutex
	tat map[string]time.Time // theoretical arrival time per key
}

// maxKeysPerShard bounds memory: 64 shards of 16,384 keys.
const maxKeysPerShard = 16384

// sweep drops keys whose bucket is full again (forgetting them changes
// nothing); if every key is still active, it drops an arbitrary eighth so
// that a flood of distinct keys cannot grow memory without bound.
func (sh *localShard) sweep(now time.Time, max int) {
	for k, t := range sh.tat {
		if !t.After(now) {
			delete(sh.tat, k)
		}
	}
	if len(sh.tat) < max {
		return
	}
	n := len(sh.tat) / 8
	for k := range sh.tat {
		if n == 0 {
			break
		}
		delete(sh.tat, k)
		n--
	}
}

// NewLocal returns a local limiter; now may be nil for time.Now.
func NewLocal(l Limit, now func() time.Time) *Local {
	if now == nil {
		now = time.Now
	}
	lc := &Local{limit: l, now: now, seed: maphash.MakeSeed(), maxKeys: maxKeysPerShard}
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
	if !ok && len(sh.tat) >= lc.maxKeys {
		sh.sweep(now, lc.maxKeys)
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

// Keys returns how many keys the limiter holds.
func (lc *Local) Keys() int {
	n := 0
	for i := range lc.shards {
		sh := &lc.shards[i]
		sh.mu.Lock()
		n += len(sh.tat)
		sh.mu.Unlock()
	}
	return n
}
