package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// syncScript updates the shared GCRA state for one replica's key, using
// Redis' clock. ARGV: emission interval (µs), burst tolerance (µs),
// charge (requests the replica passed beyond its reservation: added
// unconditionally, they have passed), refund (reserved tokens the replica
// gives back), want (1 to take one token for a request now), replicas
// (0: reserve nothing), have (reserved tokens the replica still holds). It then reserves
// ceil(available/replicas) tokens minus have for the replica to spend
// locally. Returns {granted, reserved, tat_after_us, retry_after_us}.
var syncScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local iv = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call("GET", KEYS[1]))
if tat == nil or tat < now then tat = now end
tat = tat + tonumber(ARGV[3]) * iv
tat = math.max(now, tat - tonumber(ARGV[4]) * iv)
local granted, retry = 0, 0
if tonumber(ARGV[5]) > 0 then
  if now - tat + burst >= iv then
    tat = tat + iv
    granted = 1
  else
    retry = tat + iv - burst - now
  end
end
local avail = math.floor((now - tat + burst) / iv)
local reserved = 0
local n = tonumber(ARGV[6])
if avail > 0 and n > 0 then
  reserved = math.max(0, math.floor((avail + n - 1) / n) - tonumber(ARGV[7]))
  tat = tat + reserved * iv
end
redis.call("SET", KEYS[1], tat, "PX", math.max(1, math.ceil((tat - now) / 1000)))
return {granted, reserved, tat - now, retry}
`)

// Synced is the redis backend in synchronised local mode (like Kong's
// sync_rate): each replica decides locally and, every interval, settles
// with the shared GCRA state in Redis in one pipeline for all its keys.
//
// A replica spends two kinds of tokens locally. Reserved tokens are taken
// from the shared state at a sync (its share: what is available divided by
// replicas, rounded up), atomically, so together they never exceed the
// limit. Beyond those, a replica's local view refills at the full rate
// from the last sync, but it passes at most rate × interval of them per
// sync (a late or failed sync does not widen it); passes on refill are
// charged at the next sync unconditionally. So the replicas together pass
// at most replicas × rate × interval more than the limit per sync, and
// that overshoot is a debt the following intervals repay: over a long
// window the limit holds. A key's first request (and the first after it
// was idle for a whole interval) takes the exact path: one synchronous
// Redis call that also reserves the replica's share. Reserved tokens of a
// key idle for an interval are given back.
type Synced struct {
	r        *Redis
	client   Pipeliner
	interval time.Duration
	replicas int64
	budget   int64 // refill passes per key and sync: rate × interval, at least 1
	now      func() time.Time
	seed     maphash.Seed
	shards   [64]syncShard

	lastOK  atomic.Int64 // unix ns of the last successful sync
	failing atomic.Bool  // the last sync failed
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

var _ Limiter = (*Synced)(nil)

type syncShard struct {
	mu sync.Mutex
	m  map[string]*syncEntry
}

type syncEntry struct {
	reserved int64     // tokens taken from the shared state, not spent yet
	tat      time.Time // local refill view (GCRA theoretical arrival time)
	pending  int64     // passes on refill, not charged to Redis yet
	budget   int64     // refill passes left until the next sync
	touched  bool      // used since the last sync
	busy     bool      // a sync for this key is in flight
}

// maxSyncKeysPerShard bounds memory: 64 shards of 16,384 keys.
const maxSyncKeysPerShard = 16384

// syncBatch bounds the commands in one sync pipeline.
const syncBatch = 512

// Pipeliner is the part of a Redis client the sync uses (*redis.Client
// has it).
type Pipeliner interface {
	redis.Scripter
	Pipeline() redis.Pipeliner
}

// NewSynced wraps r (its key prefix, limit and timeout) and starts syncing
// through client every interval until Close. replicas divides what is
// available among the replicas; now may be nil for time.Now.
func NewSynced(r *Redis, client Pipeliner, interval time.Duration, replicas int, now func() time.Time) *Synced {
	if now == nil {
		now = time.Now
	}
	s := &Synced{r: r, client: client, interval: interval, replicas: int64(max(1, replicas)), now: now,
		budget: int64(max(1, (interval+r.limit.interval()-1)/r.limit.interval())),
		seed:   maphash.MakeSeed(), stop: make(chan struct{}), done: make(chan struct{})}
	for i := range s.shards {
		s.shards[i].m = map[string]*syncEntry{}
	}
	s.lastOK.Store(now().UnixNano())
	go s.run()
	return s
}

// unhealthy is how long syncs may fail before Allow reports the limiter
// unavailable (so the route's on_redis_error applies). Only failed syncs
// count: a sync that is merely late (a CPU-starved replica) is not an
// outage.
func (s *Synced) unhealthy() time.Duration { return max(3*s.interval, time.Second) }

// Allow implements Limiter. Errors wrap ErrUnavailable.
func (s *Synced) Allow(ctx context.Context, key string) (Result, error) {
	sh := &s.shards[maphash.String(s.seed, key)%uint64(len(s.shards))]
	now := s.now()
	sh.mu.Lock()
	if e := sh.m[key]; e != nil {
		if s.failing.Load() && now.UnixNano()-s.lastOK.Load() > int64(s.unhealthy()) {
			sh.mu.Unlock()
			return Result{}, errors.Join(ErrUnavailable, errors.New("rate-limit sync with Redis is failing"))
		}
		e.touched = true
		if e.reserved > 0 {
			e.reserved--
			r := Result{Allowed: true, Limit: s.r.limit.Burst, Remaining: int(e.reserved), ResetAfter: s.interval}
			sh.mu.Unlock()
			return r, nil
		}
		r, newTAT := gcra(s.r.limit, now, e.tat)
		if r.Allowed && e.budget <= 0 {
			// This sync period's refill is spent: wait for the next sync
			// rather than pass more while the others cannot see it.
			r = Result{Limit: s.r.limit.Burst, RetryAfter: s.interval, ResetAfter: e.tat.Sub(now)}
		}
		if r.Allowed {
			e.tat = newTAT
			e.pending++
			e.budget--
		}
		sh.mu.Unlock()
		return r, nil
	}
	sh.mu.Unlock()
	return s.first(ctx, sh, key)
}

// first serves a key the replica holds no state for: one exact GCRA call
// that also reserves the replica's share.
func (s *Synced) first(ctx context.Context, sh *syncShard, key string) (Result, error) {
	if s.r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.r.timeout)
		defer cancel()
	}
	v, err := syncScript.Run(ctx, s.client, []string{s.r.prefix + key}, s.r.ivUS, s.r.burstUS, 0, 0, 1, s.replicas, 0).Int64Slice()
	if err == nil && len(v) != 4 {
		err = errors.New("unexpected script reply")
	}
	if err != nil {
		return Result{}, errors.Join(ErrUnavailable, err)
	}
	now := s.now()
	sh.mu.Lock()
	e := sh.m[key]
	if e == nil {
		if len(sh.m) >= maxSyncKeysPerShard {
			s.evict(sh)
		}
		e = &syncEntry{}
		sh.m[key] = e
	}
	e.touched = true
	e.reserved += v[1]
	s.setView(e, now, time.Duration(v[2])*time.Microsecond)
	rem := int(e.reserved)
	sh.mu.Unlock()
	r := Result{Allowed: v[0] == 1, Limit: s.r.limit.Burst, Remaining: rem, ResetAfter: max(time.Duration(v[2])*time.Microsecond, 0)}
	if !r.Allowed {
		r.RetryAfter = time.Duration(v[3]) * time.Microsecond
	}
	return r, nil
}

// setView restarts e's local refill view after a sync: nothing available
// on refill now (what was available is reserved), or later while the
// shared state is in debt; tatAfter is the shared theoretical arrival
// time relative to now.
func (s *Synced) setView(e *syncEntry, now time.Time, tatAfter time.Duration) {
	l := s.r.limit
	burst := time.Duration(l.Burst) * l.interval()
	e.tat = now.Add(max(tatAfter, burst)).Add(time.Duration(e.pending) * l.interval())
	e.budget = s.budget
}

// evict drops an arbitrary eighth of a full shard. Their reserved tokens
// stay charged (fewer passes) and their uncharged passes are lost to the
// shared count (at most one interval's refill per key).
func (s *Synced) evict(sh *syncShard) {
	n := len(sh.m) / 8
	for k, e := range sh.m {
		if n == 0 {
			break
		}
		if !e.busy {
			delete(sh.m, k)
			n--
		}
	}
}

func (s *Synced) run() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			s.sync(true)
			return
		case <-t.C:
			s.sync(false)
		}
	}
}

// settle is one key's part of a sync.
type settle struct {
	sh      *syncShard
	key     string
	charge  int64
	refund  int64
	have    int64
	dropped bool // the key was idle: give back its reservation, drop it
}

// sync settles every key: keys used since the last sync charge their
// refill passes and top their reservation up; idle keys (and all keys
// when final) give their reservation back and are dropped.
func (s *Synced) sync(final bool) {
	var batch []settle
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			st := settle{sh: sh, key: k, charge: e.pending, have: e.reserved}
			if final || !e.touched {
				st.refund, st.have, st.dropped = e.reserved, 0, true
				delete(sh.m, k)
			} else {
				e.busy = true
			}
			e.pending, e.touched = 0, false
			batch = append(batch, st)
		}
		sh.mu.Unlock()
	}
	ok := true
	for len(batch) > 0 {
		n := min(len(batch), syncBatch)
		if !s.flush(batch[:n], final) {
			ok = false
		}
		batch = batch[n:]
	}
	if ok {
		s.lastOK.Store(s.now().UnixNano())
	}
	s.failing.Store(!ok)
}

// flush sends one pipeline of settlements. On failure the charges go back
// to their entries for the next sync (a dropped key's are lost: at most
// one interval's refill).
func (s *Synced) flush(batch []settle, final bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), max(s.r.timeout, s.interval))
	defer cancel()
	cmds, err := s.exec(ctx, batch, final)
	if err != nil && isNoScript(err) {
		if lerr := syncScript.Load(ctx, s.client).Err(); lerr == nil {
			cmds, err = s.exec(ctx, batch, final)
		}
	}
	now := s.now()
	for i, st := range batch {
		if st.dropped {
			continue
		}
		var v []int64
		cerr := err
		if cerr == nil {
			v, cerr = cmds[i].Int64Slice()
		}
		st.sh.mu.Lock()
		e := st.sh.m[st.key]
		if e != nil {
			e.busy = false
			if cerr != nil || len(v) != 4 {
				e.pending += st.charge
				e.touched = true
			} else {
				e.reserved += v[1]
				s.setView(e, now, time.Duration(v[2])*time.Microsecond)
			}
		}
		st.sh.mu.Unlock()
	}
	return err == nil
}

func isNoScript(err error) bool { return strings.Contains(err.Error(), "NOSCRIPT") }

func (s *Synced) exec(ctx context.Context, batch []settle, final bool) ([]*redis.Cmd, error) {
	pipe := s.client.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, st := range batch {
		replicas := s.replicas
		if st.dropped {
			replicas = 0 // reserve nothing
		}
		cmds[i] = syncScript.EvalSha(ctx, pipe, []string{s.r.prefix + st.key}, s.r.ivUS, s.r.burstUS,
			st.charge, st.refund, 0, replicas, st.have)
	}
	_, err := pipe.Exec(ctx)
	return cmds, err
}

// Close stops syncing after settling every key (charging its passes and
// giving its reservation back).
func (s *Synced) Close() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}
