package demo

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
)

func TestIDAcceptsStringsAndNumbers(t *testing.T) {
	for in, want := range map[string]ID{`"01a2-b"`: "01a2-b", `42`: "42"} {
		var id ID
		if err := json.Unmarshal([]byte(in), &id); err != nil || id != want {
			t.Errorf("%s: %q, %v", in, id, err)
		}
	}
	var id ID
	if err := json.Unmarshal([]byte(`{}`), &id); err == nil {
		t.Error("an object decoded as an id")
	}
}

func TestTraceparent(t *testing.T) {
	h, id := NewTraceparent()
	if !regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`).MatchString(h) || h[3:35] != id {
		t.Fatalf("traceparent %q, trace id %q", h, id)
	}
	if h2, _ := NewTraceparent(); h2 == h {
		t.Fatal("two traceparents are equal")
	}
	hdr := http.Header{}
	if TraceIDFrom(hdr) != "" {
		t.Fatal("trace id from no header")
	}
	hdr.Set("traceparent", h)
	if TraceIDFrom(hdr) != id {
		t.Fatalf("TraceIDFrom(%q) = %q", h, TraceIDFrom(hdr))
	}
	if !Final("confirmed") || !Final("cancelled") || Final("pending") {
		t.Fatal("Final")
	}
}
