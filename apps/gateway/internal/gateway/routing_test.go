package gateway_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centuria/centuria/apps/gateway/internal/gateway"
)

func TestRoutingStripPrefixRoundRobin(t *testing.T) {
	a, b, c, d := newUpstream(t, "a"), newUpstream(t, "b"), newUpstream(t, "c"), newUpstream(t, "d")
	g := startGateway(t, fmt.Sprintf(`
routes:
  - name: users
    path_prefix: /users
    upstreams: [%q, %q]
  - name: users-admin
    path_prefix: /users/admin
    upstreams: [%q]
    strip_prefix: true
  - name: api-host
    host: api.example.com
    path_prefix: /users
    upstreams: [%q]
  - name: based
    path_prefix: /v2/
    strip_prefix: true
    upstreams: [%q]
`, a.URL, b.URL, c.URL, d.URL, d.URL+"/base"), gateway.Options{})

	seen := map[string]int{}
	for i := 0; i < 4; i++ {
		resp, body := get(t, g.url("/users/42?x=1"), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		seen[resp.Header.Get("X-Upstream")]++
		if !strings.HasSuffix(body, " /users/42") {
			t.Fatalf("upstream saw %q", body)
		}
	}
	if seen["a"] != 2 || seen["b"] != 2 {
		t.Fatalf("round robin: %v", seen)
	}
	if a.lastRequest().URL.RawQuery != "x=1" {
		t.Fatalf("query lost: %q", a.lastRequest().URL.RawQuery)
	}
	checks := []struct{ path, host, want string }{
		{"/users/admin/x", "", "c /x"},                   // longest prefix wins, stripped
		{"/users/admin", "", "c /"},                      // prefix itself
		{"/users/adminx", "", "/users/adminx"},           // segment boundary: not users-admin
		{"/users/1", "API.Example.com:80", "d /users/1"}, // host match, case and port ignored
		{"/v2/items", "", "d /base/items"},               // strip + upstream base path
		{"/users//42", "", "/users/42"},                  // merged slashes
	}
	for _, ck := range checks {
		hdr := map[string]string{}
		if ck.host != "" {
			hdr["Host"] = ck.host
		}
		resp, body := get(t, g.url(ck.path), hdr)
		if resp.StatusCode != 200 || !strings.HasSuffix(body, ck.want) {
			t.Errorf("%s (host %q): %d %q, want suffix %q", ck.path, ck.host, resp.StatusCode, body, ck.want)
		}
	}
	if resp, _ := get(t, g.url("/nothing"), nil); resp.StatusCode != 404 {
		t.Fatalf("unmatched path: %d", resp.StatusCode)
	}
}

// TestPathAttackClasses sends each known bypass as a raw request line: all
// get 400 and none reaches the upstream.
func TestPathAttackClasses(t *testing.T) {
	up := newUpstream(t, "public")
	admin := newUpstream(t, "admin")
	g := startGateway(t, fmt.Sprintf(`
routes:
  - name: public
    path_prefix: /public
    upstreams: [%q]
  - name: admin
    path_prefix: /admin
    upstreams: [%q]
    auth: api_key
auth:
  api_keys:
    env: GW_TEST_KEYS
`, up.URL, admin.URL), gateway.Options{Getenv: func(string) string { return "" }})
	attacks := map[string]string{
		"%2e%2e":          "/public/%2e%2e/admin",
		"%2E%2E mixed":    "/public/.%2E/admin",
		"plain ..":        "/public/../admin",
		"%2F":             "/public%2F..%2Fadmin",
		"%2f lower":       "/public/x%2fy",
		"..;":             "/public/..;/admin",
		"..;param":        "/public/..;jsessionid=x/admin",
		"backslash":       "/public\\..\\admin",
		"%5C":             "/public%5C..%5Cadmin",
		"NUL":             "/public/x%00.json",
		"double encoding": "/public/%252e%252e/admin",
		"overlong UTF-8":  "/public/%c0%ae%c0%ae/admin",
		"CRLF":            "/public/x%0d%0aSet-Cookie:a",
		"dot":             "/public/./x",
	}
	for name, p := range attacks {
		code := raw(t, g.Addr("main"), "GET "+p+" HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
		if code != 400 {
			t.Errorf("%s (%s): status %d, want 400", name, p, code)
		}
	}
	if n := up.hits.Load() + admin.hits.Load(); n != 0 {
		t.Fatalf("%d attack requests reached an upstream", n)
	}
	// A benign encoding still works and is forwarded decoded once.
	if code := raw(t, g.Addr("main"), "GET /public/caf%C3%A9 HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"); code != 200 {
		t.Fatalf("benign path: %d", code)
	}
	if got := up.lastRequest().URL.Path; got != "/public/café" {
		t.Fatalf("upstream path %q", got)
	}
}

func TestHopByHopAndSpoofedHeaders(t *testing.T) {
	up := newUpstream(t, "u")
	g := startGateway(t, fmt.Sprintf(`
routes:
  - name: r
    path_prefix: /
    upstreams: [%q]
auth:
  api_keys:
    env: K
    forward_header: X-Api-Key-Name
`, up.URL), gateway.Options{Getenv: func(string) string { return "" }})
	req := "GET /x HTTP/1.1\r\nHost: gw\r\n" +
		"Connection: close, X-Forwarded-For, X-Request-Id, X-Secret\r\n" +
		"X-Secret: s\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic eA==\r\nTE: gzip\r\n" +
		"X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil\r\nForwarded: for=6.6.6.6\r\n" +
		"X-Api-Key-Name: root\r\nX-Request-Id: abc-123\r\n\r\n"
	if code := raw(t, g.Addr("main"), req); code != 200 {
		t.Fatalf("status %d", code)
	}
	h := up.lastRequest().Header
	for _, k := range []string{"X-Secret", "Keep-Alive", "Proxy-Authorization", "Te", "Forwarded", "X-Api-Key-Name"} {
		if v := h.Get(k); v != "" {
			t.Errorf("upstream received %s: %q", k, v)
		}
	}
	// The gateway's own headers survive a client's "Connection: X-Forwarded-For".
	if got := h.Get("X-Forwarded-For"); got != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want only the peer", got)
	}
	if got := h.Get("X-Forwarded-Host"); got != "gw" {
		t.Errorf("X-Forwarded-Host = %q", got)
	}
	if got := h.Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("X-Request-Id = %q", got)
	}
	// Response hop-by-hop headers named by the upstream's Connection are dropped too.
	resp, _ := get(t, g.url("/x"), nil)
	if resp.Header.Get("X-Upstream-Secret") != "" {
		t.Error("response header named in upstream Connection leaked")
	}
}

func TestRequestIDs(t *testing.T) {
	up := newUpstream(t, "u")
	g := startGateway(t, fmt.Sprintf("routes:\n  - name: r\n    path_prefix: /\n    upstreams: [%q]\n", up.URL), gateway.Options{})
	resp, _ := get(t, g.url("/a"), map[string]string{"X-Request-Id": "bad id with spaces"})
	id := resp.Header.Get("X-Request-Id")
	if id == "" || strings.Contains(id, " ") || up.lastRequest().Header.Get("X-Request-Id") != id {
		t.Fatalf("generated id %q, upstream %q", id, up.lastRequest().Header.Get("X-Request-Id"))
	}
	resp2, _ := get(t, g.url("/a"), nil)
	if resp2.Header.Get("X-Request-Id") == id {
		t.Fatal("request ids repeat")
	}
	if !strings.Contains(g.access.String(), `"request_id":"`+id+`"`) || !strings.Contains(g.access.String(), `"route":"r"`) {
		t.Fatalf("access log lacks the request: %s", g.access.String())
	}
}

func TestBodyLimitsTimeoutsAndRetries(t *testing.T) {
	up := newUpstream(t, "u")
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL := "http://" + dead.Addr().String()
	dead.Close() // nothing listens there now
	g := startGateway(t, fmt.Sprintf(`
server:
  addr: 127.0.0.1:0
  read_header_timeout: 300ms
  max_header_bytes: 4096
routes:
  - name: small
    path_prefix: /small
    upstreams: [%q]
    max_body_bytes: 10
  - name: slow
    path_prefix: /slow
    upstreams: [%q]
    timeout: 100ms
  - name: retry
    path_prefix: /retry
    upstreams: [%q, %q]
    retries: 1
`, up.URL, up.URL, deadURL, up.URL), gateway.Options{})

	post := func(path string, body io.Reader, size int64) int {
		req, _ := http.NewRequest("POST", g.url(path), body)
		req.ContentLength = size
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post("/small", strings.NewReader("0123456789abc"), 13); c != 413 {
		t.Errorf("declared oversize body: %d", c)
	}
	if c := post("/small", io.MultiReader(strings.NewReader("0123456789abc")), -1); c != 413 {
		t.Errorf("chunked oversize body: %d", c)
	}
	if c := post("/small", strings.NewReader("0123"), 4); c != 200 {
		t.Errorf("small body: %d", c)
	}
	if resp, _ := get(t, g.url("/slow?sleep=10s"), nil); resp.StatusCode != 504 {
		t.Errorf("slow upstream: %d, want 504", resp.StatusCode)
	}
	for i := 0; i < 4; i++ { // every other attempt picks the dead upstream first
		if resp, _ := get(t, g.url("/retry/x"), nil); resp.StatusCode != 200 {
			t.Fatalf("idempotent request not retried: %d", resp.StatusCode)
		}
	}
	codes := map[int]int{}
	for i := 0; i < 4; i++ {
		codes[post("/retry/x", strings.NewReader("x"), 1)]++
	}
	if codes[502] == 0 {
		t.Errorf("POST was retried: %v", codes)
	}
	big := strings.Repeat("a", 12000) // Go allows max_header_bytes + 4 KiB of slack
	if code := raw(t, g.Addr("main"), "GET /small HTTP/1.1\r\nHost: gw\r\nX-Big: "+big+"\r\n\r\n"); code != 431 {
		t.Errorf("oversized headers: %d, want 431", code)
	}
	// Slowloris: headers never finish; the server closes the connection.
	c, err := net.Dial("tcp", g.Addr("main"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /small HTTP/1.1\r\nHost: gw\r\nX-Slow: ")
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	for err == nil {
		n, err = c.Read(buf)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("slow header connection still open after 10s (read %d bytes)", n)
	}
}

// TestRequestSmuggling sends ambiguous framing: whatever the gateway makes
// of it, a request hidden in a body must not reach a protected upstream
// without passing the gateway's own checks.
func TestRequestSmuggling(t *testing.T) {
	pub, admin := newUpstream(t, "public"), newUpstream(t, "admin")
	g := startGateway(t, fmt.Sprintf(`
auth:
  api_keys:
    env: K
routes:
  - name: admin
    path_prefix: /admin
    upstreams: [%q]
    auth: api_key
  - name: public
    path_prefix: /
    upstreams: [%q]
`, admin.URL, pub.URL), gateway.Options{Getenv: func(string) string { return "" }})
	smuggled := "GET /admin/secret HTTP/1.1\r\nHost: gw\r\n\r\n"
	attacks := map[string]string{
		"CL.TE":         "POST /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
		"TE.CL":         "POST /x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(smuggled), smuggled),
		"TE obfuscated": "POST /x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\nContent-Length: 41\r\n\r\n" + smuggled,
		"double CL":     "POST /x HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\nContent-Length: 41\r\n\r\n" + smuggled,
	}
	var wg sync.WaitGroup
	for name, req := range attacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", g.Addr("main"))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			// Keep the connection open long enough for a hidden second
			// request to be read and answered, then give up.
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			_, _ = io.WriteString(c, req)
			b, _ := io.ReadAll(c)
			t.Logf("%s: %q", name, firstLine(string(b)))
		}()
	}
	wg.Wait()
	if n := admin.hits.Load(); n != 0 {
		t.Fatalf("%d smuggled requests reached the protected upstream", n)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\r\n")
	return l
}
