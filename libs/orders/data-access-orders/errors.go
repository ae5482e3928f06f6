package orderstore

import "errors"

// Sentinel errors of this package; test with errors.Is.
var (
	// ErrNotFound is wrapped when no order has the id.
	ErrNotFound = errors.New("order not found")
	// ErrDuplicate is wrapped when an order id already exists.
	ErrDuplicate = errors.New("order already exists")
)
