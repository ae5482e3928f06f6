package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newFT() *fastTransport {
	return newFastTransport(&http.Transport{}, 8, 2*time.Second)
}

func do(t *testing.T, rt http.RoundTripper, method, url string, body io.Reader) (*http.Response, string, error) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

// countingServer is a real upstream that counts the connections it accepts.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	s := httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, &conns
}

func TestFastTransportReusesAndStreams(t *testing.T) {
	s, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("Trailer", "X-Sum")
			for i := 0; i < 3; i++ {
				_, _ = io.WriteString(w, "part")
				w.(http.Flusher).Flush()
			}
			w.Header().Set("X-Sum", "12")
		case "/nocontent":
			w.WriteHeader(http.StatusNoContent)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(b)
		default:
			_, _ = io.WriteString(w, "ok "+r.Method)
		}
	})
	ft := newFT()
	defer ft.CloseIdleConnections()
	for i := 0; i < 5; i++ {
		if _, body, err := do(t, ft, "GET", s.URL+"/x", nil); err != nil || body != "ok GET" {
			t.Fatalf("GET %d: %q %v", i, body, err)
		}
	}
	resp, body, err := do(t, ft, "GET", s.URL+"/chunked", nil)
	if err != nil || body != "partpartpart" || resp.Trailer.Get("X-Sum") != "12" {
		t.Fatalf("chunked: %q %v %v", body, err, resp.Trailer)
	}
	if resp, _, err := do(t, ft, "GET", s.URL+"/nocontent", nil); err != nil || resp.StatusCode != 204 {
		t.Fatalf("204: %v", err)
	}
	if resp, body, err := do(t, ft, "HEAD", s.URL+"/x", nil); err != nil || resp.StatusCode != 200 || body != "" {
		t.Fatalf("HEAD: %q %v", body, err)
	}
	big := strings.Repeat("0123456789", 100000)
	if _, body, err := do(t, ft, "POST", s.URL+"/echo", strings.NewReader(big)); err != nil || body != big {
		t.Fatalf("echo of 1 MB: %d bytes, %v", len(body), err)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d upstream connections for sequential requests, want 1", n)
	}
}

// staleServer answers the first request on each connection with keep-alive
// and then closes the connection, like an upstream whose idle timeout fired.
func staleServer(t *testing.T) (string, *atomic.Int64) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var conns atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				time.Sleep(20 * time.Millisecond)
			}()
		}
	}()
	return "http://" + l.Addr().String(), &conns
}

func TestFastTransportRetriesStaleConnectionForIdempotentOnly(t *testing.T) {
	url, conns := staleServer(t)
	ft := newFT()
	defer ft.CloseIdleConnections()
	if _, body, err := do(t, ft, "GET", url, nil); err != nil || body != "ok" {
		t.Fatalf("first GET: %q %v", body, err)
	}
	time.Sleep(50 * time.Millisecond) // the server has closed the pooled connection
	if _, body, err := do(t, ft, "GET", url, nil); err != nil || body != "ok" {
		t.Fatalf("GET on a stale pooled connection was not retried: %q %v", body, err)
	}
	if conns.Load() != 2 {
		t.Fatalf("connections %d, want 2", conns.Load())
	}
	time.Sleep(50 * time.Millisecond)
	if _, _, err := do(t, ft, "POST", url, strings.NewReader("x")); err == nil {
		t.Fatal("POST with a body was replayed on a new connection")
	}
}

func TestAliveDetectsClosedIdleConnection(t *testing.T) {
	url, _ := staleServer(t)
	ft := newFT()
	defer ft.CloseIdleConnections()
	if _, _, err := do(t, ft, "GET", url, nil); err != nil {
		t.Fatal(err)
	}
	ft.mu.Lock()
	var c *fastConn
	for _, cs := range ft.idle {
		c = cs[0]
	}
	ft.mu.Unlock()
	if c == nil {
		t.Fatal("no pooled connection")
	}
	// The server closes 20ms after answering; wait for that event.
	deadline := time.Now().Add(10 * time.Second)
	for alive(c.Conn) {
		if time.Now().After(deadline) {
			t.Fatal("a connection closed by the upstream still looks alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A pooled connection the upstream closed long ago is dropped before
	// use, so even a POST succeeds on a fresh connection.
	c.idleAt = time.Now().Add(-2 * time.Second)
	if _, body, err := do(t, ft, "POST", url, strings.NewReader("x")); err != nil || body != "ok" {
		t.Fatalf("POST after a long idle: %q %v", body, err)
	}
	s, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	if _, _, err := do(t, ft, "GET", s.URL, nil); err != nil {
		t.Fatal(err)
	}
	ft.mu.Lock()
	for addr, cs := range ft.idle {
		if strings.Contains(s.URL, addr) && !alive(cs[0].Conn) {
			t.Error("a healthy idle connection looks dead")
		}
	}
	ft.mu.Unlock()
}

func TestFastTransportConnectionClose(t *testing.T) {
	s, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		_, _ = io.WriteString(w, "bye")
	})
	ft := newFT()
	defer ft.CloseIdleConnections()
	for i := 0; i < 3; i++ {
		if _, body, err := do(t, ft, "GET", s.URL, nil); err != nil || body != "bye" {
			t.Fatalf("%q %v", body, err)
		}
	}
	if conns.Load() != 3 {
		t.Fatalf("a connection marked close was reused (%d connections)", conns.Load())
	}
}

func TestFastTransportTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	s, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ft := newFastTransport(&http.Transport{}, 8, 100*time.Millisecond)
	defer ft.CloseIdleConnections()
	_, _, err := do(t, ft, "GET", s.URL+"/slow", nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("slow upstream: %v, want a timeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/body", nil)
	resp, err := ft.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("body read went on after the request was cancelled")
	}
	resp.Body.Close()
	ft.mu.Lock()
	pooled := 0
	for _, cs := range ft.idle {
		pooled += len(cs)
	}
	ft.mu.Unlock()
	if pooled != 0 {
		t.Fatal("a cancelled connection went back to the pool")
	}
}

func TestFastTransportBoundsResponseHeaders(t *testing.T) {
	s, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 300; i++ {
			w.Header().Add("X-Filler", strings.Repeat("x", 4000))
		}
	})
	ft := newFT()
	defer ft.CloseIdleConnections()
	if _, _, err := do(t, ft, "GET", s.URL, nil); err == nil {
		t.Fatal("accepted 1.2 MB of response headers")
	}
}
