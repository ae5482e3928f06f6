// Package proxy is the gateway's request path: a precompiled route table,
// path canonicalisation, authentication, rate limiting and the reverse proxy
// to upstreams, with request ids, access logs and per-route metrics.
package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/centuria/centuria/apps/gateway/internal/auth"
	"github.com/centuria/centuria/apps/gateway/internal/ratelimit"
)

// limitKey says what a route's rate limit is keyed by.
type limitKey int

const (
	keyIP limitKey = iota
	keyAPIKey
	keyJWTSub
	keyHeader
)

// Route is one compiled route.
type Route struct {
	Name        string
	host        string
	prefix      string
	strip       bool
	targets     []*url.URL
	basePath    string
	next        atomic.Uint64
	retries     int
	maxBody     int64
	policy      auth.Policy
	scopes      []string
	limiter     ratelimit.Limiter
	limitBy     limitKey
	limitHeader string
	proxy       *httputil.ReverseProxy
	transport   interface{ CloseIdleConnections() }
	metrics     routeMetrics
}

// RouteSpec is what Build needs to compile one route.
type RouteSpec struct {
	Name                string
	Host                string
	PathPrefix          string
	Upstreams           []string
	StripPrefix         bool
	Timeout             time.Duration
	Retries             int
	MaxBodyBytes        int64
	Policy              auth.Policy
	Scopes              []string
	Limiter             ratelimit.Limiter // nil for none
	LimitKey            string            // ip, api_key, jwt_sub, header:Name
	UpstreamCAFile      string
	MaxIdleConnsPerHost int
	// StandardTransport uses http.Transport for plain-HTTP upstreams too,
	// instead of the single-goroutine fast path.
	StandardTransport bool
}

func (r *Route) pick() *url.URL {
	if len(r.targets) == 1 {
		return r.targets[0]
	}
	return r.targets[(r.next.Add(1)-1)%uint64(len(r.targets))]
}

// matches reports whether canonical path p falls under the route prefix on
// a segment boundary: "/users" matches "/users" and "/users/1", not
// "/usersX".
func (r *Route) matches(p string) bool {
	if !strings.HasPrefix(p, r.prefix) {
		return false
	}
	return len(p) == len(r.prefix) || r.prefix[len(r.prefix)-1] == '/' || p[len(r.prefix)] == '/'
}

// upstreamPath is the path sent upstream for canonical path p.
func (r *Route) upstreamPath(p string) string {
	if r.strip {
		p = strings.TrimPrefix(p, strings.TrimSuffix(r.prefix, "/"))
		if p == "" || p[0] != '/' {
			p = "/" + p
		}
	}
	if r.basePath == "" {
		return p
	}
	return r.basePath + p
}

// Table is an immutable, precompiled set of routes. Matching does no regular
// expressions and no allocation: a map lookup by host, then a scan of
// prefixes ordered longest first.
type Table struct {
	byHost map[string][]*Route
	any    []*Route
	routes []*Route
}

func newTransport(s RouteSpec) (*http.Transport, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.UpstreamCAFile != "" {
		pem, err := os.ReadFile(s.UpstreamCAFile)
		if err != nil {
			return nil, fmt.Errorf("route %s: reading upstream CA: %w", s.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("route %s: %s holds no PEM certificate", s.Name, s.UpstreamCAFile)
		}
		tc.RootCAs = pool
	}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           d.DialContext,
		TLSClientConfig:       tc,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   s.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: s.Timeout,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        16 << 10,
	}, nil
}

func (h *Handler) compile(s RouteSpec) (*Route, error) {
	r := &Route{Name: s.Name, host: s.Host, prefix: s.PathPrefix, strip: s.StripPrefix, retries: s.Retries,
		maxBody: s.MaxBodyBytes, policy: s.Policy, scopes: s.Scopes, limiter: s.Limiter}
	for i, us := range s.Upstreams {
		u, err := url.Parse(us)
		if err != nil {
			return nil, fmt.Errorf("route %s: upstream %q: %w", s.Name, us, err)
		}
		bp := strings.TrimSuffix(u.Path, "/")
		if i == 0 {
			r.basePath = bp
		} else if bp != r.basePath {
			return nil, fmt.Errorf("route %s: all upstreams must share one base path (%q vs %q)", s.Name, r.basePath, bp)
		}
		r.targets = append(r.targets, &url.URL{Scheme: u.Scheme, Host: u.Host})
	}
	switch {
	case s.LimitKey == "" || s.LimitKey == "ip":
		r.limitBy = keyIP
	case s.LimitKey == "api_key":
		r.limitBy = keyAPIKey
	case s.LimitKey == "jwt_sub":
		r.limitBy = keyJWTSub
	case strings.HasPrefix(s.LimitKey, "header:"):
		r.limitBy = keyHeader
		r.limitHeader = http.CanonicalHeaderKey(strings.TrimPrefix(s.LimitKey, "header:"))
	default:
		return nil, fmt.Errorf("route %s: unknown rate-limit key %q", s.Name, s.LimitKey)
	}
	t, err := newTransport(s)
	if err != nil {
		return nil, err
	}
	var rt http.RoundTripper = t
	r.transport = t
	if !s.StandardTransport {
		ft := newFastTransport(t, s.MaxIdleConnsPerHost, s.Timeout)
		rt, r.transport = ft, ft
	}
	if h.wrapTransport != nil {
		rt = h.wrapTransport(rt)
	}
	if s.Retries > 0 {
		rt = &retryTransport{base: rt, route: r}
	}
	r.metrics = h.metrics.bind(s.Name)
	r.proxy = &httputil.ReverseProxy{
		Rewrite:      h.rewriter(r),
		Transport:    rt,
		BufferPool:   bufPool{},
		ErrorHandler: h.errorHandler(r),
		ErrorLog:     h.errLog,
	}
	return r, nil
}

// Build compiles specs into a Table bound to this handler's metrics and
// options. It does not activate it: call Swap.
func (h *Handler) Build(specs []RouteSpec) (*Table, error) {
	t := &Table{byHost: map[string][]*Route{}}
	for _, s := range specs {
		r, err := h.compile(s)
		if err != nil {
			t.Close()
			return nil, err
		}
		t.routes = append(t.routes, r)
		if r.host == "" {
			t.any = append(t.any, r)
		} else {
			t.byHost[r.host] = append(t.byHost[r.host], r)
		}
	}
	byLen := func(a, b *Route) int { return len(b.prefix) - len(a.prefix) }
	slices.SortStableFunc(t.any, byLen)
	for _, rs := range t.byHost {
		slices.SortStableFunc(rs, byLen)
	}
	return t, nil
}

// Match returns the route for a normalised host and canonical path, or nil.
// Routes for the exact host win over host-less routes.
func (t *Table) Match(host, path string) *Route {
	for _, r := range t.byHost[host] {
		if r.matches(path) {
			return r
		}
	}
	for _, r := range t.any {
		if r.matches(path) {
			return r
		}
	}
	return nil
}

// Close releases the table's idle upstream connections.
func (t *Table) Close() {
	for _, r := range t.routes {
		r.transport.CloseIdleConnections()
	}
}

// normHost lower-cases the Host header and drops the port and a trailing
// dot; it allocates only when the host has upper-case letters.
func normHost(h string) string {
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}
