package money

import "errors"

// Sentinel errors of this package; test with errors.Is.
var (
	// ErrInvalid is wrapped when an amount is negative or a currency is not
	// an ISO 4217 code; the error names the field.
	ErrInvalid = errors.New("invalid money")
	// ErrCurrencyMismatch is wrapped when amounts of different currencies
	// are combined.
	ErrCurrencyMismatch = errors.New("currency mismatch")
	// ErrOverflow is wrapped when a result does not fit in int64 minor units.
	ErrOverflow = errors.New("amount overflows")
)
