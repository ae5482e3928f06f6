package gateway

import "errors"

// ErrNotStarted is returned by methods that need the listeners before Start.
var ErrNotStarted = errors.New("gateway not started")
