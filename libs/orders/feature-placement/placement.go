// Package placement places customer orders: it validates the request, writes
// the order and its order.placed event in one transaction, and serves the
// orders HTTP API (POST /orders, GET /orders/{id}, GET /orders).
package placement

import (
	"context"
	"errors"
	"fmt"
	"time"

	orderstore "github.com/centuria/centuria/libs/orders/data-access-orders"
	"github.com/centuria/centuria/libs/platform/outbox"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// DB is what placement needs from the pool; *pgxpool.Pool satisfies it.
type DB interface {
	orderstore.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Service places and reads orders.
type Service struct {
	db    DB
	now   func() time.Time
	newID func() (uuid.UUID, error)
}

// Option tunes a Service.
type Option func(*Service)

// WithClock sets the clock stamping orders (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDs sets the order id generator (default UUIDv7).
func WithIDs(newID func() (uuid.UUID, error)) Option { return func(s *Service) { s.newID = newID } }

// New returns a Service on db.
func New(db DB, opts ...Option) *Service {
	s := &Service{db: db, now: time.Now, newID: uuid.NewV7}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Place validates req and writes the pending order with its order.placed
// event in one transaction: both exist or neither does. A request that does
// not validate returns an *orderflow.FieldError (wrapping
// orderflow.ErrInvalidPayload) naming the field.
func (s *Service) Place(ctx context.Context, customerID string, req PlaceRequest) (orderstore.Order, error) {
	if err := req.Validate(); err != nil {
		return orderstore.Order{}, err
	}
	total, err := orderflow.Total(req.Items, req.Currency)
	if err != nil {
		return orderstore.Order{}, &orderflow.FieldError{Field: "items", Message: err.Error()}
	}
	id, err := s.newID()
	if err != nil {
		return orderstore.Order{}, fmt.Errorf("order id: %w", err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	o := orderstore.Order{
		ID: id.String(), CustomerID: customerID, Status: orderstore.StatusPending,
		Items: req.Items, Total: total, CreatedAt: now, UpdatedAt: now,
	}
	ev, err := orderflow.NewEvent(orderflow.AggregateOrder, o.ID, orderflow.TypeOrderPlaced, orderflow.OrderPlaced{
		OrderID: o.ID, CustomerID: customerID, Items: req.Items, Total: total,
	})
	if err != nil {
		return orderstore.Order{}, err
	}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := orderstore.Insert(ctx, tx, o); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, ev)
	})
	if err != nil {
		return orderstore.Order{}, fmt.Errorf("placing order: %w", err)
	}
	return o, nil
}

// Get returns the customer's order id. Another customer's order is
// reported as not found: it wraps orderstore.ErrNotFound either way.
func (s *Service) Get(ctx context.Context, customerID, id string) (orderstore.Order, error) {
	o, err := orderstore.Get(ctx, s.db, id)
	if err != nil {
		return orderstore.Order{}, err
	}
	if o.CustomerID != customerID {
		return orderstore.Order{}, fmt.Errorf("order %s: %w", id, orderstore.ErrNotFound)
	}
	return o, nil
}

// List returns the customer's newest orders, at most limit.
func (s *Service) List(ctx context.Context, customerID string, limit int) ([]orderstore.Order, error) {
	if limit < 1 || limit > MaxListLimit {
		return nil, errors.New("limit out of range")
	}
	return orderstore.ListByCustomer(ctx, s.db, customerID, limit)
}
