package placement_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	orderstore "github.com/centuria/centuria/libs/orders/data-access-orders"
	placement "github.com/centuria/centuria/libs/orders/feature-placement"
	apptest "github.com/centuria/centuria/libs/shared/util-apptest"
	flowtest "github.com/centuria/centuria/libs/shared/util-flowtest"
)

func server(t *testing.T) *httptest.Server {
	t.Helper()
	db, _ := flowtest.DB(t, orderstore.Migrations())
	mux := http.NewServeMux()
	placement.New(db.Pool).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, srv *httptest.Server, method, path, user, body string) (int, map[string]any) {
	t.Helper()
	var header []string
	if user != "" {
		header = []string{"X-User-Id", user}
	}
	return apptest.Do(t, srv.URL, method, path, body, header...)
}

const good = `{"items":[{"sku":"sku-1","quantity":2,"unit_price_cents":1250}],"currency":"EUR"}`

func TestAPI(t *testing.T) {
	t.Parallel()
	srv := server(t)
	code, o := do(t, srv, "POST", "/orders", "u1", good)
	if code != 201 || o["status"] != "pending" || o["total_cents"] != 2500.0 || o["currency"] != "EUR" || o["id"] == "" {
		t.Fatalf("POST /orders = %d %v", code, o)
	}
	id := o["id"].(string)
	if code, got := do(t, srv, "GET", "/orders/"+id, "u1", ""); code != 200 || got["id"] != id {
		t.Errorf("GET own order = %d %v", code, got)
	}
	if code, got := do(t, srv, "GET", "/orders", "u1", ""); code != 200 || len(got["orders"].([]any)) != 1 {
		t.Errorf("GET /orders = %d %v", code, got)
	}
	if code, got := do(t, srv, "GET", "/orders", "u2", ""); code != 200 || len(got["orders"].([]any)) != 0 {
		t.Errorf("GET /orders as u2 = %d %v", code, got)
	}

	for _, tc := range []struct {
		method, path, user, body string
		code                     int
		field                    string
	}{
		{"POST", "/orders", "", good, 401, "X-User-Id"},
		{"GET", "/orders/" + id, "", "", 401, "X-User-Id"},
		{"GET", "/orders", "", "", 401, "X-User-Id"},
		{"GET", "/orders/" + id, "u2", "", 404, "id"},
		{"GET", "/orders/0193a000-0000-7000-8000-000000000000", "u1", "", 404, "id"},
		{"GET", "/orders/not-a-uuid", "u1", "", 400, "id"},
		{"GET", "/orders?limit=0", "u1", "", 400, "limit"},
		{"GET", "/orders?limit=abc", "u1", "", 400, "limit"},
		{"POST", "/orders", "u1", `{"items":[],"currency":"EUR"}`, 400, "items"},
		{"POST", "/orders", "u1", `{"items":[{"sku":"a","quantity":2,"unit_price_cents":1}]}`, 400, "currency"},
		{"POST", "/orders", "u1", `{"items":[{"sku":"a","quantity":2,"unit_price_cents":1}],"currency":"XYZ"}`, 400, "currency"},
		{"POST", "/orders", "u1", `{"items":[{"sku":"a","quantity":-1,"unit_price_cents":1}],"currency":"EUR"}`, 400, "items[0].quantity"},
		{"POST", "/orders", "u1", `{"items":[{"sku":"a","quantity":"2","unit_price_cents":1}],"currency":"EUR"}`, 400, "items.quantity"},
		{"POST", "/orders", "u1", `{"items":[{"sku":"a","quantity":1,"unit_price_cents":1}],"currency":"EUR","coupon":"x"}`, 400, "coupon"},
		{"POST", "/orders", "u1", `{"items":`, 400, "body"},
		{"POST", "/orders", "u1", `{"items":[{"sku":"` + strings.Repeat("a", 70<<10) + `"}]}`, 413, "body"},
	} {
		code, got := do(t, srv, tc.method, tc.path, tc.user, tc.body)
		if code != tc.code || got["field"] != tc.field || got["error"] == "" {
			t.Errorf("%s %s (user %q, body %.50q) = %d %v, want %d naming %q", tc.method, tc.path, tc.user, tc.body, code, got, tc.code, tc.field)
		}
	}
}

func TestAPIContentType(t *testing.T) {
	t.Parallel()
	srv := server(t)
	req, _ := http.NewRequest("POST", srv.URL+"/orders", strings.NewReader(good))
	req.Header.Set("X-User-Id", "u1")
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body = %d, want 415", res.StatusCode)
	}
}
