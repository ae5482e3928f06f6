// Package money represents amounts of money as integer minor units (cents)
// with an ISO 4217 currency code, so that no amount is ever a float.
package money

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is an amount in the currency's minor unit (cents for EUR and USD,
// whole yen for JPY) with its ISO 4217 code. The zero value is invalid:
// construct one with New or decode it from JSON, which validates.
type Money struct {
	// Cents is the amount in minor units; it is never negative.
	Cents int64 `json:"cents"`
	// Currency is the ISO 4217 alphabetic code, e.g. "EUR".
	Currency string `json:"currency"`
}

// New returns cents of currency. It returns an error wrapping ErrInvalid
// when cents is negative or currency is not an ISO 4217 code.
func New(cents int64, currency string) (Money, error) {
	m := Money{Cents: cents, Currency: currency}
	if err := m.Validate(); err != nil {
		return Money{}, err
	}
	return m, nil
}

// Validate reports a negative amount or an unknown currency, wrapping
// ErrInvalid and naming the field.
func (m Money) Validate() error {
	if m.Cents < 0 {
		return fmt.Errorf("%w: cents: %d is negative", ErrInvalid, m.Cents)
	}
	return ValidateCurrency(m.Currency)
}

// ValidateCurrency checks that code is an active ISO 4217 alphabetic code in
// upper case, wrapping ErrInvalid.
func ValidateCurrency(code string) error {
	if len(code) != 3 || code != strings.ToUpper(code) {
		return fmt.Errorf("%w: currency: %q must be three upper-case letters (ISO 4217)", ErrInvalid, code)
	}
	if _, ok := minorUnits[code]; !ok {
		return fmt.Errorf("%w: currency: %q is not an ISO 4217 code", ErrInvalid, code)
	}
	return nil
}

// Add returns m + o. It returns an error wrapping ErrCurrencyMismatch when
// the currencies differ and ErrOverflow when the sum does not fit.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	if o.Cents > math.MaxInt64-m.Cents {
		return Money{}, fmt.Errorf("%w: %d + %d", ErrOverflow, m.Cents, o.Cents)
	}
	return Money{Cents: m.Cents + o.Cents, Currency: m.Currency}, nil
}

// Mul returns m times n (n >= 0), wrapping ErrOverflow when the product does
// not fit and ErrInvalid for a negative n.
func (m Money) Mul(n int64) (Money, error) {
	if n < 0 {
		return Money{}, fmt.Errorf("%w: multiplier %d is negative", ErrInvalid, n)
	}
	if n != 0 && m.Cents > math.MaxInt64/n {
		return Money{}, fmt.Errorf("%w: %d × %d", ErrOverflow, m.Cents, n)
	}
	return Money{Cents: m.Cents * n, Currency: m.Currency}, nil
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Cents == 0 }

// String formats m in major units with the currency's number of decimals,
// e.g. "12.50 EUR" or "1250 JPY".
func (m Money) String() string {
	d, ok := minorUnits[m.Currency]
	if !ok || d == 0 {
		return strconv.FormatInt(m.Cents, 10) + " " + m.Currency
	}
	p := int64(1)
	for range d {
		p *= 10
	}
	return fmt.Sprintf("%d.%0*d %s", m.Cents/p, d, m.Cents%p, m.Currency)
}

// UnmarshalJSON decodes {"cents":N,"currency":"XXX"} and validates it, so
// that an invalid amount never enters a program through JSON.
func (m *Money) UnmarshalJSON(b []byte) error {
	var raw struct {
		Cents    *int64  `json:"cents"`
		Currency *string `json:"currency"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	switch {
	case raw.Cents == nil:
		return fmt.Errorf("%w: cents: missing", ErrInvalid)
	case raw.Currency == nil:
		return fmt.Errorf("%w: currency: missing", ErrInvalid)
	}
	v, err := New(*raw.Cents, *raw.Currency)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
