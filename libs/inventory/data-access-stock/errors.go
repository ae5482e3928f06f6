package stockstore

import "errors"

// Sentinel errors of this package; test with errors.Is.
var (
	// ErrNotFound is wrapped when a SKU's stock was never set.
	ErrNotFound = errors.New("sku not found")
	// ErrInvalid is wrapped when a SKU or level is out of bounds; the error
	// names the field.
	ErrInvalid = errors.New("invalid stock")
)
