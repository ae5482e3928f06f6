package outbox

import "errors"

// Sentinel errors of this package; test with errors.Is.
var (
	// ErrInvalidEvent is wrapped when Add is given an event it cannot
	// relay; the error names the field.
	ErrInvalidEvent = errors.New("invalid outbox event")
	// ErrEventTooLarge is wrapped (with ErrInvalidEvent) when an event's
	// payload and headers exceed the writer's MaxEventSize.
	ErrEventTooLarge = errors.New("outbox event too large")
	// ErrInvalidConfig is wrapped by writer and relay configuration errors,
	// which name the field.
	ErrInvalidConfig = errors.New("invalid outbox config")
)
