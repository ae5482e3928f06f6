package gateway_test

import (
	"fmt"
	"net/http"
	_ "net/http/pprof" // fills http.DefaultServeMux: the public listener must still not serve it
	"testing"

	"github.com/centuria/centuria/apps/gateway/internal/gateway"
)

// TestPprofOnlyOnAdminListener enables the profiler on the admin listener
// and checks that the public listener answers 404 for every /debug/pprof/
// path that no route matches, without reaching an upstream, even though
// net/http/pprof is linked into the binary.
func TestPprofOnlyOnAdminListener(t *testing.T) {
	up := newUpstream(t, "users")
	g := startGateway(t, fmt.Sprintf(`
routes:
  - name: users
    path_prefix: /users
    upstreams: [%q]
admin:
  addr: 127.0.0.1:0
  pprof: true
`, up.URL), gateway.Options{})

	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1",
		"/debug/pprof/profile?seconds=1", "/debug/pprof/cmdline", "/debug/pprof/symbol", "/debug/pprof/trace?seconds=1"} {
		resp, body := get(t, g.url(p), nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("public %s = %d %q, want 404", p, resp.StatusCode, body)
		}
	}
	if n := up.hits.Load(); n != 0 {
		t.Errorf("upstream received %d requests for profiler paths", n)
	}
	// The same paths are served on the admin listener, so the 404s above
	// are the public listener's doing.
	resp, body := get(t, "http://"+g.Addr("admin")+"/debug/pprof/heap?debug=1", nil)
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("admin /debug/pprof/heap = %d", resp.StatusCode)
	}
	// And a routed path still reaches its upstream.
	if resp, _ := get(t, g.url("/users/1"), nil); resp.StatusCode != http.StatusOK || up.hits.Load() != 1 {
		t.Fatalf("routed request: %d, upstream hits %d", resp.StatusCode, up.hits.Load())
	}
}
