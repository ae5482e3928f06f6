package capture

import "errors"

// Sentinel errors of this package; test with errors.Is.
var (
	// ErrDeclined is wrapped when the provider refuses a charge.
	ErrDeclined = errors.New("payment declined")
	// ErrInvalidConfig is wrapped by configuration errors, which name the
	// environment variable.
	ErrInvalidConfig = errors.New("invalid payments config")
)
