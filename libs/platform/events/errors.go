package events

import "errors"

// Sentinel errors of this package; test with errors.Is.
var (
	// ErrInvalidEnvelope is wrapped when a message lacks a required
	// CloudEvents attribute or carries a malformed one.
	ErrInvalidEnvelope = errors.New("invalid event envelope")
	// ErrUnknownEventType is wrapped when no handler is registered for a
	// message's ce-type.
	ErrUnknownEventType = errors.New("unknown event type")
	// ErrDecode is wrapped when a payload does not decode into the
	// handler's type.
	ErrDecode = errors.New("decoding event payload")
	// ErrInvalidConfig is wrapped by stream, consumer and subscriber
	// configuration errors, which name the field.
	ErrInvalidConfig = errors.New("invalid events config")
	// ErrPermanent marks a handler error that retrying cannot fix; wrap it
	// with Permanent. The message goes to the dead-letter stream at once.
	ErrPermanent = errors.New("permanent failure")
)

// Permanent wraps err so that the subscriber dead-letters the message
// without retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string   { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() []error { return []error{ErrPermanent, e.err} }
