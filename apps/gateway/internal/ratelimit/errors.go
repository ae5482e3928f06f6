package ratelimit

import "errors"

// ErrUnavailable is wrapped when a distributed limiter cannot reach its
// store.
var ErrUnavailable = errors.New("rate limiter unavailable")
