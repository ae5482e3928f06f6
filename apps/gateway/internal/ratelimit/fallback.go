package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Mode is what a Fallback does when its primary limiter fails.
type Mode int

// Failure modes.
const (
	// FailLocal uses a local limiter with the limit divided by the replica count.
	FailLocal Mode = iota
	// FailOpen lets the request through.
	FailOpen
	// FailClosed rejects the request.
	FailClosed
)

// String returns the configuration word of the mode.
func (m Mode) String() string {
	switch m {
	case FailOpen:
		return "fail_open"
	case FailClosed:
		return "fail_closed"
	}
	return "local"
}

// ParseMode maps the configuration words to a Mode.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "local", "":
		return FailLocal, nil
	case "fail_open":
		return FailOpen, nil
	case "fail_closed":
		return FailClosed, nil
	}
	return 0, fmt.Errorf("unknown failure mode %q", s)
}

// Fallback decorates a distributed limiter with a declared failure mode.
type Fallback struct {
	primary Limiter
	mode    Mode
	local   Limiter
	log     *slog.Logger
	now     func() time.Time
	// Failures counts primary errors.
	Failures atomic.Int64
	lastLog  atomic.Int64
	// skipUntil (unix nanoseconds) short-circuits the primary for a
	// Cooldown once it has failed TripAfter times in a row, so an outage
	// does not add a timeout to every request.
	skipUntil atomic.Int64
	// streak counts the primary's consecutive failures.
	streak atomic.Int64
}

const (
	// Cooldown is how long the primary is skipped once it has tripped.
	Cooldown = time.Second
	// TripAfter is how many consecutive failures trip it: one slow call
	// fails only its own request, not a second of traffic.
	TripAfter = 3
)

var _ Limiter = (*Fallback)(nil)

// NewFallback wraps primary. For FailLocal, l is divided by replicas
// (rounding up, at least 1) for the local limiter.
func NewFallback(primary Limiter, mode Mode, l Limit, replicas int, now func() time.Time, log *slog.Logger) *Fallback {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	f := &Fallback{primary: primary, mode: mode, log: log, now: now}
	if mode == FailLocal {
		if replicas < 1 {
			replicas = 1
		}
		ll := Limit{Rate: ceilDiv(l.Rate, replicas), Period: l.Period, Burst: ceilDiv(l.Burst, replicas)}
		f.local = NewLocal(ll, now)
	}
	return f
}

func ceilDiv(a, b int) int { return max(1, (a+b-1)/b) }

// Allow implements Limiter. It returns the primary's error only in
// FailClosed mode, or when ctx ended during the call.
func (f *Fallback) Allow(ctx context.Context, key string) (Result, error) {
	now := f.now().UnixNano()
	err := ErrUnavailable
	if now >= f.skipUntil.Load() {
		var r Result
		r, err = f.primary.Allow(ctx, key)
		if err == nil {
			f.streak.Store(0)
			return r, nil
		}
		if ctx.Err() != nil {
			// The request itself ended (the client left or its deadline
			// passed): that says nothing about the limiter.
			return Result{}, err
		}
		if f.streak.Add(1) >= TripAfter {
			f.skipUntil.Store(now + int64(Cooldown))
			f.streak.Store(0)
		}
		if sec := now / int64(time.Second); f.lastLog.Swap(sec) != sec {
			f.log.Warn("distributed rate limiter failed", "err", err, "mode", f.mode)
		}
	}
	f.Failures.Add(1)
	switch f.mode {
	case FailOpen:
		return Result{Allowed: true, Limit: -1}, nil
	case FailLocal:
		return f.local.Allow(ctx, key)
	}
	return Result{}, err
}
