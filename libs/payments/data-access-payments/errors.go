package paymentstore

import "errors"

// ErrNotFound is wrapped when an order has no payment.
var ErrNotFound = errors.New("payment not found")
