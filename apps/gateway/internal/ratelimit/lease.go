package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Leased decorates a Redis limiter: instead of one Redis call per request,
// a replica takes up to n tokens per call from the shared GCRA state and
// spends them locally. Tokens are taken from the shared limit when leased,
// so the replicas together never pass more than the limit; a lease that is
// not used up before it expires is lost, so the error is on the side of
// passing fewer. Leases expire after max(n emission intervals, 1s), which
// bounds how late a leased token can be spent.
type Leased struct {
	r      *Redis
	n      int64
	ttl    time.Duration
	now    func() time.Time
	seed   maphash.Seed
	shards [64]leaseShard
}

var _ Limiter = (*Leased)(nil)

type leaseShard struct {
	mu sync.Mutex
	m  map[string]*lease
}

type lease struct {
	tokens    int64
	expires   time.Time
	remaining int // shared remaining when leased, for the headers
}

const maxLeasesPerShard = 4096

// NewLeased wraps r with leases of n tokens; now may be nil for time.Now.
func NewLeased(r *Redis, n int, now func() time.Time) *Leased {
	if now == nil {
		now = time.Now
	}
	ttl := time.Duration(n) * r.limit.interval()
	if ttl < time.Second {
		ttl = time.Second
	}
	l := &Leased{r: r, n: int64(n), ttl: ttl, now: now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].m = map[string]*lease{}
	}
	return l
}

// Allow implements Limiter. Errors wrap ErrUnavailable.
func (l *Leased) Allow(ctx context.Context, key string) (Result, error) {
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	now := l.now()
	sh.mu.Lock()
	if ls := sh.m[key]; ls != nil && ls.tokens > 0 && now.Before(ls.expires) {
		ls.tokens--
		r := Result{Allowed: true, Limit: l.r.limit.Burst, Remaining: ls.remaining + int(ls.tokens), ResetAfter: ls.expires.Sub(now)}
		sh.mu.Unlock()
		return r, nil
	}
	sh.mu.Unlock()
	r, granted, err := l.r.take(ctx, key, l.n)
	if err != nil || granted <= 1 {
		return r, err
	}
	sh.mu.Lock()
	if len(sh.m) >= maxLeasesPerShard {
		for k, ls := range sh.m {
			if !now.Before(ls.expires) || ls.tokens == 0 {
				delete(sh.m, k)
			}
		}
		// Still full: drop arbitrary leases. Their tokens are lost, which
		// only ever passes fewer requests.
		for k := range sh.m {
			if len(sh.m) < maxLeasesPerShard*7/8 {
				break
			}
			delete(sh.m, k)
		}
	}
	if ls := sh.m[key]; ls != nil && now.Before(ls.expires) {
		// Another request leased concurrently: keep both leases' tokens.
		ls.tokens += granted - 1
		ls.remaining = r.Remaining
	} else {
		sh.m[key] = &lease{tokens: granted - 1, expires: now.Add(l.ttl), remaining: r.Remaining}
	}
	sh.mu.Unlock()
	r.Remaining += int(granted - 1)
	return r, nil
}
