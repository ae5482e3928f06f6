package placement

import (
	"io"
	"strconv"

	"github.com/centuria/centuria/libs/shared/util-httpjson"
	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

// MaxBody is the largest POST /orders body accepted.
const MaxBody = 64 << 10

// List limits of GET /orders?limit=N.
const (
	DefaultListLimit = 50
	MaxListLimit     = 100
)

// PlaceRequest is the body of POST /orders.
type PlaceRequest struct {
	Items    []orderflow.Item `json:"items"`
	Currency string           `json:"currency"`
}

// Validate names the first bad field.
func (r PlaceRequest) Validate() error {
	if r.Currency == "" {
		return &orderflow.FieldError{Field: "currency", Message: "required (ISO 4217, e.g. EUR)"}
	}
	if err := money.ValidateCurrency(r.Currency); err != nil {
		return &orderflow.FieldError{Field: "currency", Message: err.Error()}
	}
	if r.Items == nil {
		return &orderflow.FieldError{Field: "items", Message: "required"}
	}
	if err := orderflow.ValidateItems(r.Items); err != nil {
		return err
	}
	if _, err := orderflow.Total(r.Items, r.Currency); err != nil {
		return &orderflow.FieldError{Field: "items", Message: err.Error()}
	}
	return nil
}

// DecodePlaceRequest reads and validates a POST /orders body (at most
// MaxBody bytes, no unknown fields). Errors are *httpjson.FieldError naming
// the field.
func DecodePlaceRequest(body io.Reader) (PlaceRequest, error) {
	var req PlaceRequest
	if err := httpjson.Decode(body, MaxBody, &req); err != nil {
		return PlaceRequest{}, err
	}
	if err := req.Validate(); err != nil {
		return PlaceRequest{}, fieldError(err)
	}
	return req, nil
}

// ParseListLimit reads the limit query parameter: empty means
// DefaultListLimit, otherwise 1..MaxListLimit.
func ParseListLimit(v string) (int, error) {
	if v == "" {
		return DefaultListLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxListLimit {
		return 0, httpjson.Invalid("limit", "%q is not an integer in 1..%d", v, MaxListLimit)
	}
	return n, nil
}

// fieldError turns a payload validation error into a 400 naming the field.
func fieldError(err error) error {
	if fe, ok := err.(*orderflow.FieldError); ok {
		return httpjson.Invalid(fe.Field, "%s", fe.Message)
	}
	return httpjson.Invalid("body", "%v", err)
}
