package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServeHTTP measures the gateway's own work per request (the
// upstream is a real loopback server; the client side is in-memory).
func BenchmarkServeHTTP(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello from upstream\n")
	}))
	defer up.Close()
	h := newTestHandler()
	tab, err := h.Build([]RouteSpec{{Name: "r", PathPrefix: "/", Upstreams: []string{up.URL}, MaxIdleConnsPerHost: 64}})
	if err != nil {
		b.Fatal(err)
	}
	defer tab.Close()
	h.Swap(tab, nil, nil, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", "http://gw/plain/x?y=1", nil)
		req.RemoteAddr = "127.0.0.1:5555"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
