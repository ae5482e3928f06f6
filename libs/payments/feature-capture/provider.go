package capture

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	money "github.com/centuria/centuria/libs/shared/util-money"
	"github.com/google/uuid"
)

// Provider charges customers. Charge returns the provider's reference of
// the captured payment, an error wrapping ErrDeclined when the provider
// refused (final: the order is cancelled), or another error to retry. The
// order id is the idempotency key: charging an order twice must not take
// the money twice.
type Provider interface {
	Charge(ctx context.Context, orderID string, amount money.Money) (ref string, err error)
}

// Environment variables of the simulated provider.
const (
	EnvFailureRate     = "PAYMENTS_FAILURE_RATE"
	EnvFailAmountCents = "PAYMENTS_FAIL_AMOUNT_CENTS"
)

// DefaultFailureRate is the simulated provider's default share of declines.
const DefaultFailureRate = 0.1

// Config configures the simulated provider.
type Config struct {
	// FailureRate is the probability (0..1) that a charge is declined.
	FailureRate float64
	// FailAmount, when set, makes every charge of exactly FailAmountCents
	// decline: a deterministic failure for tests and demos.
	FailAmount      bool
	FailAmountCents int64
}

// Validate names the bad variable, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	if !(c.FailureRate >= 0 && c.FailureRate <= 1) {
		return fmt.Errorf("%w: %s: %v not in 0..1", ErrInvalidConfig, EnvFailureRate, c.FailureRate)
	}
	if c.FailAmount && c.FailAmountCents < 0 {
		return fmt.Errorf("%w: %s: %d is negative", ErrInvalidConfig, EnvFailAmountCents, c.FailAmountCents)
	}
	return nil
}

// ConfigFromEnv reads PAYMENTS_FAILURE_RATE (0..1, default 0.1) and
// PAYMENTS_FAIL_AMOUNT_CENTS (optional integer >= 0) through lookup.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Config{FailureRate: DefaultFailureRate}
	if v, ok := lookup(EnvFailureRate); ok && v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return Config{}, fmt.Errorf("%w: %s: %q is not a number in 0..1", ErrInvalidConfig, EnvFailureRate, v)
		}
		c.FailureRate = f
	}
	if v, ok := lookup(EnvFailAmountCents); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Config{}, fmt.Errorf("%w: %s: %q is not an integer number of cents", ErrInvalidConfig, EnvFailAmountCents, v)
		}
		c.FailAmount, c.FailAmountCents = true, n
	}
	return c, c.Validate()
}

// Simulated is a payment provider that declines a configurable share of
// charges at random, and every charge of the configured fail amount.
type Simulated struct {
	cfg  Config
	mu   sync.Mutex
	rand func() float64
}

var _ Provider = (*Simulated)(nil)

// NewSimulated returns the simulated provider; rand returns numbers in
// [0, 1) (nil: math/rand/v2).
func NewSimulated(cfg Config, rand func() float64) (*Simulated, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rand == nil {
		rand = defaultRand
	}
	return &Simulated{cfg: cfg, rand: rand}, nil
}

// Charge declines when the amount is the fail amount or a draw falls under
// the failure rate, and otherwise captures with a fresh reference.
func (s *Simulated) Charge(ctx context.Context, orderID string, amount money.Money) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if s.cfg.FailAmount && amount.Cents == s.cfg.FailAmountCents {
		return "", fmt.Errorf("%w: amount %v always fails (%s)", ErrDeclined, amount, EnvFailAmountCents)
	}
	s.mu.Lock()
	draw := s.rand()
	s.mu.Unlock()
	if draw < s.cfg.FailureRate {
		return "", fmt.Errorf("%w: card declined by the simulated provider", ErrDeclined)
	}
	return "sim_" + uuid.NewString(), nil
}
