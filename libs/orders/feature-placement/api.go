package placement

import (
	"errors"
	"net/http"
	"time"

	orderstore "github.com/centuria/centuria/libs/orders/data-access-orders"
	"github.com/centuria/centuria/libs/shared/util-httpjson"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

// Mux registers handlers; *http.ServeMux and the service chassis satisfy it.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// OrderJSON is an order as the API returns it.
type OrderJSON struct {
	ID         string           `json:"id"`
	CustomerID string           `json:"customer_id"`
	Status     string           `json:"status"`
	Reason     string           `json:"reason,omitempty"`
	Detail     string           `json:"detail,omitempty"`
	Items      []orderflow.Item `json:"items"`
	Currency   string           `json:"currency"`
	TotalCents int64            `json:"total_cents"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
}

// ToJSON converts an order for the API.
func ToJSON(o orderstore.Order) OrderJSON {
	return OrderJSON{
		ID: o.ID, CustomerID: o.CustomerID, Status: string(o.Status), Reason: o.Reason, Detail: o.Detail,
		Items: o.Items, Currency: o.Total.Currency, TotalCents: o.Total.Cents,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
}

// Register adds the orders routes to mux: POST /orders, GET /orders/{id}
// and GET /orders. Every route needs the X-User-Id header (401 without).
func (s *Service) Register(mux Mux) {
	mux.Handle("POST /orders", http.HandlerFunc(s.handlePlace))
	mux.Handle("GET /orders/{id}", http.HandlerFunc(s.handleGet))
	mux.Handle("GET /orders", http.HandlerFunc(s.handleList))
}

func (s *Service) handlePlace(w http.ResponseWriter, r *http.Request) {
	customer, err := httpjson.UserID(r)
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	if err := httpjson.RequireJSON(r); err != nil {
		httpjson.Error(w, err)
		return
	}
	req, err := DecodePlaceRequest(r.Body)
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	o, err := s.Place(r.Context(), customer, req)
	if err != nil {
		var fe *orderflow.FieldError
		if errors.As(err, &fe) {
			err = fieldError(fe)
		}
		httpjson.Error(w, err)
		return
	}
	w.Header().Set("Location", "/orders/"+o.ID)
	httpjson.Write(w, http.StatusCreated, ToJSON(o))
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	customer, err := httpjson.UserID(r)
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	id, err := httpjson.UUID("id", r.PathValue("id"))
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	o, err := s.Get(r.Context(), customer, id)
	if errors.Is(err, orderstore.ErrNotFound) {
		httpjson.Error(w, httpjson.NotFound("id", "no order %s", id))
		return
	}
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, ToJSON(o))
}

// ListJSON is the body of GET /orders.
type ListJSON struct {
	Orders []OrderJSON `json:"orders"`
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	customer, err := httpjson.UserID(r)
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	limit, err := ParseListLimit(r.URL.Query().Get("limit"))
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	list, err := s.List(r.Context(), customer, limit)
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	out := ListJSON{Orders: make([]OrderJSON, len(list))}
	for i, o := range list {
		out.Orders[i] = ToJSON(o)
	}
	httpjson.Write(w, http.StatusOK, out)
}
