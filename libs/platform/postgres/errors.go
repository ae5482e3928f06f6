package postgres

import "errors"

// Sentinel errors returned by this package; test with errors.Is.
var (
	// ErrInvalidConfig is wrapped by every configuration error, which also
	// names the field or environment variable at fault.
	ErrInvalidConfig = errors.New("invalid database config")
	// ErrInvalidServiceName is returned by Provision for a name that is not
	// a lower-case identifier.
	ErrInvalidServiceName = errors.New("invalid service name")
	// ErrNotReady is wrapped by DB.Ready when the database does not answer.
	ErrNotReady = errors.New("database not ready")
)
