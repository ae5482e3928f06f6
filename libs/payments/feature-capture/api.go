package capture

import (
	"errors"
	"net/http"
	"time"

	paymentstore "github.com/centuria/centuria/libs/payments/data-access-payments"
	"github.com/centuria/centuria/libs/shared/util-httpjson"
)

// Mux registers handlers; *http.ServeMux and the service chassis satisfy it.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// PaymentJSON is a payment as the API returns it.
type PaymentJSON struct {
	ID          string    `json:"id"`
	OrderID     string    `json:"order_id"`
	Status      string    `json:"status"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	Reason      string    `json:"reason,omitempty"`
	ProviderRef string    `json:"provider_ref,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Register adds GET /payments/{order_id}, reading from db, to mux.
func Register(mux Mux, db paymentstore.DBTX) {
	mux.Handle("GET /payments/{order_id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := httpjson.UUID("order_id", r.PathValue("order_id"))
		if err != nil {
			httpjson.Error(w, err)
			return
		}
		p, err := paymentstore.GetByOrder(r.Context(), db, id)
		if errors.Is(err, paymentstore.ErrNotFound) {
			httpjson.Error(w, httpjson.NotFound("order_id", "no payment for order %s", id))
			return
		}
		if err != nil {
			httpjson.Error(w, err)
			return
		}
		httpjson.Write(w, http.StatusOK, PaymentJSON{
			ID: p.ID, OrderID: p.OrderID, Status: string(p.Status), AmountCents: p.Amount.Cents, Currency: p.Amount.Currency,
			Reason: p.Reason, ProviderRef: p.ProviderRef, CreatedAt: p.CreatedAt,
		})
	}))
}
