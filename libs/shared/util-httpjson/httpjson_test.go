package httpjson_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/centuria/centuria/libs/shared/util-httpjson"
)

type req struct {
	Name  string `json:"name"`
	Items []struct {
		Quantity int `json:"quantity"`
	} `json:"items"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"name":"a","items":[{"quantity":2}]}`, 0, ""},
		{`{"name":"a"}  `, 0, ""},
		{``, 400, "body"},
		{`{"name":`, 400, "body"},
		{`{"name":1}`, 400, "name"},
		{`{"items":[{"quantity":"x"}]}`, 400, "items.quantity"},
		{`{"nope":1}`, 400, "nope"},
		{`{"name":"a"}{}`, 400, "body"},
		{`[1]`, 400, "body"},
		{`{"name":"` + strings.Repeat("x", 200) + `"}`, 413, "body"},
		{`{"name":"a"}` + strings.Repeat(" ", 200), 413, "body"},
	} {
		var v req
		err := httpjson.Decode(strings.NewReader(tc.body), 100, &v)
		if tc.status == 0 {
			if err != nil {
				t.Errorf("Decode(%.40q) = %v", tc.body, err)
			}
			continue
		}
		var fe *httpjson.FieldError
		if !errors.As(err, &fe) || fe.Status != tc.status || fe.Field != tc.field {
			t.Errorf("Decode(%.40q) = %#v, want status %d field %q", tc.body, err, tc.status, tc.field)
		}
	}
}

func TestErrorAndUserID(t *testing.T) {
	rec := httptest.NewRecorder()
	httpjson.Error(rec, httpjson.NotFound("id", "no order %s", "x"))
	var body map[string]string
	json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 404 || body["field"] != "id" || body["error"] != "no order x" {
		t.Errorf("Error(NotFound) = %d %v", rec.Code, body)
	}
	rec = httptest.NewRecorder()
	httpjson.Error(rec, errors.New("db password is hunter2"))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "hunter2") {
		t.Errorf("Error(internal) = %d %s", rec.Code, rec.Body)
	}

	r := httptest.NewRequest("GET", "/", nil)
	if _, err := httpjson.UserID(r); err == nil || err.(*httpjson.FieldError).Status != http.StatusUnauthorized {
		t.Errorf("UserID without header = %v", err)
	}
	r.Header.Set("X-User-Id", "bad\x01")
	if _, err := httpjson.UserID(r); err == nil {
		t.Error("UserID accepted a control character")
	}
	r.Header.Set("X-User-Id", "user-1")
	if id, err := httpjson.UserID(r); err != nil || id != "user-1" {
		t.Errorf("UserID = %q, %v", id, err)
	}
}
