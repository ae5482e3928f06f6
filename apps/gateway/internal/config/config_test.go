package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const minimal = `
routes:
  - name: r
    path_prefix: /
    upstreams: ["http://127.0.0.1:9000"]
`

func TestParseAppliesDefaults(t *testing.T) {
	c, err := Parse("gw.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != DefaultAddr || c.Server.ReadHeaderTimeout.D() != DefaultReadHeaderTimeout ||
		c.Server.MaxHeaderBytes != DefaultMaxHeaderBytes || c.Admin.Addr != DefaultAdminAddr {
		t.Fatalf("server defaults not applied: %+v %+v", c.Server, c.Admin)
	}
	r := c.Routes[0]
	if r.Auth != "public" || r.Timeout.D() != DefaultRouteTimeout || r.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Fatalf("route defaults not applied: %+v", r)
	}
	if len(c.Hash) != 64 || c.Path != "gw.yaml" {
		t.Fatalf("hash/path: %q %q", c.Hash, c.Path)
	}
	if !c.Log.AccessEnabled() {
		t.Fatal("access log must default to on")
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	c, err := Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Routes) != 3 || c.RateLimits["per_user"].Replicas != 3 || c.Auth.JWT.Leeway.D() != 30*time.Second {
		t.Fatalf("unexpected example: %+v", c)
	}
}

func TestParseRejectsWithFileAndLine(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top-level key", "rutes: []\n" + minimal, []string{`gw.yaml:1: unknown key "rutes"`}},
		{"unknown nested key", minimal + "    strip: true\n", []string{`gw.yaml:6: unknown key "strip" (in Route)`}},
		{"bare number duration", minimal + "    timeout: 5\n", []string{`gw.yaml:6: duration must be a string`}},
		{"bad duration", minimal + "    timeout: 5 parsecs\n", []string{`gw.yaml:6: time: `}},
		{"wrong type", minimal + "    retries: many\n", []string{`gw.yaml:6: cannot unmarshal`}},
		{"syntax", "routes: [\n", []string{"gw.yaml:"}},
		{"empty", "", []string{"file is empty"}},
		{"no routes", "server:\n  addr: ':80'\n", []string{"gw.yaml:1: routes: at least one route"}},
		{"dot segment prefix", strings.Replace(minimal, "path_prefix: /", "path_prefix: /a/../b", 1), []string{"gw.yaml:4: routes[0].path_prefix"}},
		{"encoded prefix", strings.Replace(minimal, "path_prefix: /", "path_prefix: /a%2fb", 1), []string{"gw.yaml:4: routes[0].path_prefix"}},
		{"upstream scheme", strings.Replace(minimal, "http://127", "ftp://127", 1), []string{"gw.yaml:5: routes[0].upstreams[0]"}},
		{"alg none", "auth:\n  jwt:\n    jwks_url: http://x/jwks\n    issuer: i\n    audience: [a]\n    algorithms: [RS256, none]\n" + minimal,
			[]string{`gw.yaml:6: auth.jwt.algorithms[1]: algorithm "none" is not allowed`}},
		{"alg HS256", "auth:\n  jwt:\n    jwks_url: http://x/jwks\n    issuer: i\n    audience: [a]\n    algorithms: [HS256]\n" + minimal,
			[]string{`auth.jwt.algorithms[0]: algorithm "HS256" is not allowed`}},
		{"jwt route without jwt", minimal + "    auth: jwt\n", []string{"gw.yaml:6: routes[0].auth: route uses jwt"}},
		{"unknown policy", minimal + "    rate_limit: nope\n", []string{`gw.yaml:6: routes[0].rate_limit: unknown rate-limit policy "nope"`}},
		{"redis without addr", "rate_limits:\n  p:\n    rate: 5\n    period: 1s\n    backend: redis\n" + minimal,
			[]string{"gw.yaml:5: rate_limits.p.backend: redis backend needs redis.addr"}},
		{"access buffer too small", "log:\n  access_buffer: 10\n" + minimal, []string{"gw.yaml:2: log.access_buffer: must be -1 (unbuffered) or between 4096"}},
		{"bad trusted proxy", "server:\n  trusted_proxies: [10.0.0.0/33]\n" + minimal, []string{`gw.yaml:2: server.trusted_proxies[0]: invalid CIDR`}},
		{"redirect without tls", "server:\n  redirect_addr: ':80'\n" + minimal, []string{"server.redirect_addr: needs server.tls"}},
		{"duplicate route", minimal + "  - name: r\n    path_prefix: /\n    upstreams: [\"http://h\"]\n",
			[]string{`routes[1].name: duplicate route name "r"`, "routes[1].path_prefix: routes[0] already matches"}},
		{"two documents", minimal + "---\nx: 1\n", []string{"more than one YAML document"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("gw.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// FuzzParse checks that no input makes the loader panic, and that an
// accepted configuration satisfies the invariants the proxy relies on.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("routes: [{name: a, path_prefix: /a, upstreams: ['http://h'], timeout: 1s}]"))
	f.Add([]byte("server: {addr: ':1', trusted_proxies: ['::1']}\n" + minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if len(c.Routes) == 0 {
			t.Fatal("accepted a config without routes")
		}
		for _, r := range c.Routes {
			if validPrefix(r.PathPrefix) != nil || len(r.Upstreams) == 0 || r.Name == "" {
				t.Fatalf("accepted invalid route %+v", r)
			}
		}
	})
}
