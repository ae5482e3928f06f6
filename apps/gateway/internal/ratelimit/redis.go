package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraScript runs GCRA atomically in Redis using the server's clock, so all
// replicas share one time base. KEYS[1] holds the theoretical arrival time
// in microseconds. ARGV: emission interval (µs), burst tolerance (µs),
// tokens wanted (1 per request, more for a lease). It grants as many as are
// available up to the number wanted.
// Returns {granted, remaining, retry_after_us, reset_after_us}.
var gcraScript = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local iv = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local tat = tonumber(redis.call("GET", KEYS[1]))
if tat == nil or tat < now then tat = now end
local avail = math.floor((now - tat + burst) / iv)
if avail < 1 then
  return {0, 0, tat + iv - burst - now, tat - now}
end
local k = math.min(want, avail)
local new_tat = tat + k * iv
local ttl = new_tat - now
redis.call("SET", KEYS[1], new_tat, "PX", math.max(1, math.ceil(ttl / 1000)))
return {k, avail - k, 0, ttl}
`)

// Redis is a GCRA limiter whose state lives in Redis: N replicas sharing one
// Redis enforce one limit. Each Allow is a single EVALSHA round trip.
type Redis struct {
	client  redis.Scripter
	batch   *Batcher
	prefix  string
	limit   Limit
	timeout time.Duration
	ivUS    int64
	burstUS int64
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter storing keys under prefix; timeout bounds each
// call when ctx has no earlier deadline.
func NewRedis(c redis.Scripter, prefix string, l Limit, timeout time.Duration) *Redis {
	iv := l.interval()
	return &Redis{client: c, prefix: prefix, limit: l, timeout: timeout,
		ivUS: iv.Microseconds(), burstUS: (time.Duration(l.Burst) * iv).Microseconds()}
}

// NewBatchedRedis is NewRedis sending its calls through b, which pipelines
// concurrent calls.
func NewBatchedRedis(b *Batcher, prefix string, l Limit, timeout time.Duration) *Redis {
	r := NewRedis(b.client, prefix, l, timeout)
	r.batch = b
	return r
}

// Allow implements Limiter. Errors wrap ErrUnavailable.
func (rl *Redis) Allow(ctx context.Context, key string) (Result, error) {
	r, _, err := rl.take(ctx, key, 1)
	return r, err
}

// take asks for up to want tokens and reports how many were granted.
func (rl *Redis) take(ctx context.Context, key string, want int64) (Result, int64, error) {
	// A batched call is bounded by its pipeline's timeout already.
	if rl.timeout > 0 && rl.batch == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, rl.timeout)
		defer cancel()
	}
	var v []int64
	var err error
	if rl.batch != nil {
		v, err = rl.batch.do(ctx, rl.prefix+key, rl.ivUS, rl.burstUS, want)
	} else {
		v, err = gcraScript.Run(ctx, rl.client, []string{rl.prefix + key}, rl.ivUS, rl.burstUS, want).Int64Slice()
	}
	if err != nil {
		return Result{}, 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if len(v) != 4 {
		return Result{}, 0, fmt.Errorf("%w: unexpected script reply %v", ErrUnavailable, v)
	}
	return Result{
		Allowed:    v[0] >= 1,
		Limit:      rl.limit.Burst,
		Remaining:  int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Microsecond,
		ResetAfter: time.Duration(v[3]) * time.Microsecond,
	}, v[0], nil
}
