// Package stockapi serves the inventory HTTP API: PUT /stock/{sku} sets
// the units available for reservation, GET /stock/{sku} reads the level.
package stockapi

import (
	"errors"
	"net/http"
	"time"

	stockstore "github.com/centuria/centuria/libs/inventory/data-access-stock"
	"github.com/centuria/centuria/libs/shared/util-httpjson"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

// MaxBody is the largest PUT body accepted.
const MaxBody = 4 << 10

// Mux registers handlers; *http.ServeMux and the service chassis satisfy it.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// API serves stock levels from db.
type API struct {
	db  stockstore.DBTX
	now func() time.Time
}

// New returns the API on db; now stamps updates (nil: time.Now).
func New(db stockstore.DBTX, now func() time.Time) *API {
	if now == nil {
		now = time.Now
	}
	return &API{db: db, now: now}
}

// Register adds PUT /stock/{sku} and GET /stock/{sku} to mux.
func (a *API) Register(mux Mux) {
	mux.Handle("PUT /stock/{sku}", http.HandlerFunc(a.put))
	mux.Handle("GET /stock/{sku}", http.HandlerFunc(a.get))
}

// StockJSON is a stock level as the API returns it.
type StockJSON struct {
	SKU       string    `json:"sku"`
	Available int64     `json:"available"`
	Reserved  int64     `json:"reserved"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toJSON(s stockstore.Stock) StockJSON {
	return StockJSON{SKU: s.SKU, Available: s.Available, Reserved: s.Reserved, UpdatedAt: s.UpdatedAt}
}

// SetRequest is the body of PUT /stock/{sku}.
type SetRequest struct {
	Available *int64 `json:"available"`
}

// DecodeSetRequest reads and validates a PUT /stock/{sku} body: available
// is required and in 0..stockstore.MaxAvailable. Errors are
// *httpjson.FieldError naming the field.
func DecodeSetRequest(r *http.Request) (int64, error) {
	if err := httpjson.RequireJSON(r); err != nil {
		return 0, err
	}
	var req SetRequest
	if err := httpjson.Decode(r.Body, MaxBody, &req); err != nil {
		return 0, err
	}
	switch {
	case req.Available == nil:
		return 0, httpjson.Invalid("available", "required")
	case *req.Available < 0 || *req.Available > stockstore.MaxAvailable:
		return 0, httpjson.Invalid("available", "%d not in 0..%d", *req.Available, int64(stockstore.MaxAvailable))
	}
	return *req.Available, nil
}

func skuParam(r *http.Request) (string, error) {
	sku := r.PathValue("sku")
	if err := orderflow.ValidateSKU(sku); err != nil {
		return "", httpjson.Invalid("sku", "%v", err)
	}
	return sku, nil
}

func (a *API) put(w http.ResponseWriter, r *http.Request) {
	sku, err := skuParam(r)
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	n, err := DecodeSetRequest(r)
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	s, err := stockstore.Set(r.Context(), a.db, sku, n, a.now().UTC())
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toJSON(s))
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	sku, err := skuParam(r)
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	s, err := stockstore.Get(r.Context(), a.db, sku)
	if errors.Is(err, stockstore.ErrNotFound) {
		httpjson.Error(w, httpjson.NotFound("sku", "no stock recorded for %s", sku))
		return
	}
	if err != nil {
		httpjson.Error(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, toJSON(s))
}
