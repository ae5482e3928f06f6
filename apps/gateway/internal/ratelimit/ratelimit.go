// Package ratelimit enforces request rates: a local token bucket per
// replica, and GCRA in Redis shared by every replica (one atomic script call
// per request, or leases of several tokens per call), with a declared
// behaviour when Redis fails.
package ratelimit

import (
	"context"
	"time"
)

// Limit is rate requests per period with bursts of up to burst.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// interval is the emission interval: the time one request "costs".
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// Result is the outcome of one Allow call, with what the RateLimit-*
// response headers report.
type Result struct {
	Allowed    bool
	Limit      int
	Remaining  int
	RetryAfter time.Duration // when denied: until the next request passes
	ResetAfter time.Duration // until the bucket is full again
}

// Limiter decides whether one more request for key may pass.
type Limiter interface {
	// Allow takes one token for key. Errors wrap ErrUnavailable.
	Allow(ctx context.Context, key string) (Result, error)
}
