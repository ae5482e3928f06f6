package stockapi_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	stockstore "github.com/centuria/centuria/libs/inventory/data-access-stock"
	stockapi "github.com/centuria/centuria/libs/inventory/feature-stock"
	apptest "github.com/centuria/centuria/libs/shared/util-apptest"
	flowtest "github.com/centuria/centuria/libs/shared/util-flowtest"
	httpjson "github.com/centuria/centuria/libs/shared/util-httpjson"
)

func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	return apptest.Do(t, srv.URL, method, path, body)
}

func TestAPI(t *testing.T) {
	t.Parallel()
	db, _ := flowtest.DB(t, stockstore.Migrations())
	mux := http.NewServeMux()
	stockapi.New(db.Pool, nil).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	if code, got := do(t, srv, "PUT", "/stock/sku-1", `{"available":10}`); code != 200 || got["available"] != 10.0 || got["reserved"] != 0.0 || got["sku"] != "sku-1" {
		t.Errorf("PUT = %d %v", code, got)
	}
	if code, got := do(t, srv, "GET", "/stock/sku-1", ""); code != 200 || got["available"] != 10.0 {
		t.Errorf("GET = %d %v", code, got)
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
		field              string
	}{
		{"GET", "/stock/nope", "", 404, "sku"},
		{"GET", "/stock/bad%20sku", "", 400, "sku"},
		{"PUT", "/stock/bad%20sku", `{"available":1}`, 400, "sku"},
		{"PUT", "/stock/a", `{}`, 400, "available"},
		{"PUT", "/stock/a", `{"available":-1}`, 400, "available"},
		{"PUT", "/stock/a", `{"available":1.5}`, 400, "available"},
		{"PUT", "/stock/a", `{"available":"3"}`, 400, "available"},
		{"PUT", "/stock/a", `{"available":1,"reserved":3}`, 400, "reserved"},
		{"PUT", "/stock/a", `{"available":1`, 400, "body"},
		{"PUT", "/stock/a", `{"available":1}` + strings.Repeat(" ", 5000), 413, "body"},
	} {
		code, got := do(t, srv, tc.method, tc.path, tc.body)
		if code != tc.code || got["field"] != tc.field {
			t.Errorf("%s %s %.40q = %d %v, want %d naming %q", tc.method, tc.path, tc.body, code, got, tc.code, tc.field)
		}
	}
}

func FuzzDecodeSetRequest(f *testing.F) {
	f.Add([]byte(`{"available":10}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("PUT", "/stock/a", bytes.NewReader(body))
		n, err := stockapi.DecodeSetRequest(r)
		if err != nil {
			var fe *httpjson.FieldError
			if !errors.As(err, &fe) || fe.Status < 400 || fe.Status > 499 || fe.Field == "" {
				t.Fatalf("rejection %v is not a 4xx field error", err)
			}
			return
		}
		if n < 0 || n > stockstore.MaxAvailable {
			t.Fatalf("accepted available %d", n)
		}
	})
}
