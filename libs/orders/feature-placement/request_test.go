package placement_test

import (
	"bytes"
	"errors"
	"testing"

	placement "github.com/centuria/centuria/libs/orders/feature-placement"
	"github.com/centuria/centuria/libs/shared/util-httpjson"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

// FuzzDecodePlaceRequest checks that the decoder never panics, that every
// rejection is a field error with a 4xx status, and that an accepted request
// is fully valid (its total computes).
func FuzzDecodePlaceRequest(f *testing.F) {
	f.Add([]byte(`{"items":[{"sku":"sku-1","quantity":2,"unit_price_cents":1250}],"currency":"EUR"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := placement.DecodePlaceRequest(bytes.NewReader(body))
		if err != nil {
			var fe *httpjson.FieldError
			if !errors.As(err, &fe) || fe.Status < 400 || fe.Status > 499 || fe.Field == "" {
				t.Fatalf("rejection %v is not a 4xx field error", err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("accepted an invalid request: %v", err)
		}
		if _, err := orderflow.Total(req.Items, req.Currency); err != nil {
			t.Fatalf("accepted a request whose total fails: %v", err)
		}
	})
}
