package notify

import "errors"

// ErrUnknownSink is wrapped when no sink has the requested name.
var ErrUnknownSink = errors.New("unknown notification sink")
