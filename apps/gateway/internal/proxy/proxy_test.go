package proxy

import (
	"net/netip"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestClientIP(t *testing.T) {
	tp := TrustedProxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.1/32")}
	a := netip.MustParseAddr
	cases := []struct {
		peer string
		xff  []string
		want string
	}{
		{"203.0.113.9", []string{"1.2.3.4"}, "203.0.113.9"},               // untrusted peer: XFF ignored
		{"10.0.0.1", []string{"1.2.3.4"}, "1.2.3.4"},                      // trusted peer
		{"10.0.0.1", []string{"6.6.6.6, 1.2.3.4"}, "1.2.3.4"},             // rightmost untrusted wins; spoofed left part ignored
		{"10.0.0.1", []string{"6.6.6.6", "1.2.3.4, 10.0.0.7"}, "1.2.3.4"}, // several header lines, trusted hop skipped
		{"10.0.0.1", []string{"garbage, 1.2.3.4"}, "1.2.3.4"},             // garbage left of the client is never reached
		{"10.0.0.1", []string{"1.2.3.4, garbage"}, "10.0.0.1"},            // garbage stops the walk at the last good hop
		{"10.0.0.1", []string{"10.1.1.1, 192.168.1.1"}, "10.1.1.1"},       // all trusted: leftmost
		{"10.0.0.1", nil, "10.0.0.1"},                                     // no header
		{"10.0.0.1", []string{"::ffff:1.2.3.4"}, "1.2.3.4"},               // mapped IPv6 is unmapped
	}
	for _, c := range cases {
		if got := tp.ClientIP(a(c.peer), c.xff); got != a(c.want) {
			t.Errorf("ClientIP(%s, %q) = %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1", "1.2.3.4, 5.6.7.8")
	f.Add("10.0.0.1", ",,,")
	tp := TrustedProxies{netip.MustParsePrefix("10.0.0.0/8")}
	f.Fuzz(func(t *testing.T, peer, xff string) {
		p, err := netip.ParseAddr(peer)
		if err != nil {
			return
		}
		got := tp.ClientIP(p, []string{xff})
		if !tp.trusted(p) && got != p {
			t.Fatalf("untrusted peer %s replaced by %s", p, got)
		}
	})
}

func newTestHandler() *Handler {
	return NewHandler(Options{Metrics: NewMetrics(prometheus.NewRegistry())})
}

func TestTableMatch(t *testing.T) {
	h := newTestHandler()
	tab, err := h.Build([]RouteSpec{
		{Name: "root", PathPrefix: "/", Upstreams: []string{"http://u"}, MaxIdleConnsPerHost: 1},
		{Name: "api", PathPrefix: "/api", Upstreams: []string{"http://u"}, MaxIdleConnsPerHost: 1},
		{Name: "apiv2", PathPrefix: "/api/v2/", Upstreams: []string{"http://u"}, MaxIdleConnsPerHost: 1},
		{Name: "hosted", Host: "a.example", PathPrefix: "/api", Upstreams: []string{"http://u"}, MaxIdleConnsPerHost: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	cases := map[[2]string]string{
		{"x", "/"}:              "root",
		{"x", "/api"}:           "api",
		{"x", "/api/"}:          "api",
		{"x", "/apix"}:          "root",
		{"x", "/api/v2"}:        "api",
		{"x", "/api/v2/items"}:  "apiv2",
		{"a.example", "/api/1"}: "hosted",
		{"a.example", "/other"}: "root",
	}
	for in, want := range cases {
		r := tab.Match(in[0], in[1])
		if r == nil || r.Name != want {
			t.Errorf("Match(%q, %q) = %v, want %s", in[0], in[1], r, want)
		}
	}
	n := testing.AllocsPerRun(100, func() { tab.Match("x", "/api/v2/items") })
	if n != 0 {
		t.Fatalf("Match allocates %v times", n)
	}
}

func TestUpstreamPathAndHost(t *testing.T) {
	cases := []struct {
		prefix string
		strip  bool
		base   string
		in     string
		want   string
	}{
		{"/users", true, "", "/users/1", "/1"},
		{"/users", true, "", "/users", "/"},
		{"/users/", true, "", "/users/1", "/1"},
		{"/users", false, "", "/users/1", "/users/1"},
		{"/users", true, "/v1", "/users/1", "/v1/1"},
	}
	for _, c := range cases {
		r := &Route{prefix: c.prefix, strip: c.strip, basePath: c.base}
		if got := r.upstreamPath(c.in); got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
	for in, want := range map[string]string{"A.Example.COM:8080": "a.example.com", "a.example.": "a.example", "[::1]:80": "[::1]", "h": "h"} {
		if got := normHost(in); got != want {
			t.Errorf("normHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequestIDValidation(t *testing.T) {
	for id, ok := range map[string]bool{"abc-123": true, "": false, "a b": false, "x\r\ny": false, string(make([]byte, 129)): false} {
		if validRequestID(id) != ok {
			t.Errorf("validRequestID(%q) != %v", id, ok)
		}
	}
	g := newIDGen()
	if a, b := g.next(), g.next(); a == b || !validRequestID(a) {
		t.Fatalf("ids %q %q", a, b)
	}
}

func TestBuildRejectsMixedBasePaths(t *testing.T) {
	h := newTestHandler()
	if _, err := h.Build([]RouteSpec{{Name: "r", PathPrefix: "/", Upstreams: []string{"http://a/x", "http://b/y"}, MaxIdleConnsPerHost: 1}}); err == nil {
		t.Fatal("accepted upstreams with different base paths")
	}
}

func TestPeerString(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:5555":          "192.0.2.7",
		"[::ffff:192.0.2.7]:5555": "192.0.2.7",
		"[2001:db8::1]:443":       "2001:db8::1",
		"not an address":          "",
	} {
		if got := peerString(remote, peerAddr(remote)); got != want {
			t.Errorf("peerString(%q) = %q, want %q", remote, got, want)
		}
	}
}
