package orderflow

import (
	"errors"
	"fmt"
)

// ErrInvalidPayload is wrapped by every Validate error, which names the
// field.
var ErrInvalidPayload = errors.New("invalid event payload")

// FieldError names the payload field that failed validation.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Unwrap makes errors.Is(err, ErrInvalidPayload) hold.
func (e *FieldError) Unwrap() error { return ErrInvalidPayload }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}
