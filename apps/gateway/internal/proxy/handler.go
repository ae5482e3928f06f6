package proxy

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centuria/centuria/apps/gateway/internal/auth"
	"github.com/centuria/centuria/apps/gateway/internal/pathnorm"
)

// Options configure a Handler. Zero values take the defaults.
type Options struct {
	Metrics *Metrics
	// AccessLog receives one JSON line per request, each in one Write
	// call; nil disables access logs.
	AccessLog io.Writer
	// Log receives proxy errors.
	Log             *slog.Logger
	RequestIDHeader string
	TrustedProxies  TrustedProxies
	// WrapTransport decorates each route's upstream transport (tracing).
	WrapTransport func(http.RoundTripper) http.RoundTripper
	Now           func() time.Time
}

// Handler serves the proxy for the active Table and Authenticator, both
// swapped atomically on reload.
type Handler struct {
	metrics       *Metrics
	access        io.Writer
	log           *slog.Logger
	errLog        *log.Logger
	ridHeader     string
	wrapTransport func(http.RoundTripper) http.RoundTripper
	now           func() time.Time
	ids           *idGen

	state atomic.Pointer[active]
}

// active is what one configuration version serves with.
type active struct {
	table   *Table
	auth    *auth.Authenticator
	trusted TrustedProxies
	strip   []string
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a handler with no routes: every request gets 404 until
// Swap installs a table.
func NewHandler(o Options) *Handler {
	if o.Metrics == nil {
		panic("proxy: Options.Metrics is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.RequestIDHeader == "" {
		o.RequestIDHeader = "X-Request-Id"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Handler{metrics: o.Metrics, access: o.AccessLog, log: o.Log,
		errLog:    slog.NewLogLogger(o.Log.Handler(), slog.LevelWarn),
		ridHeader: http.CanonicalHeaderKey(o.RequestIDHeader), wrapTransport: o.WrapTransport, now: o.Now, ids: newIDGen()}
	h.state.Store(&active{table: &Table{byHost: map[string][]*Route{}}, auth: &auth.Authenticator{}, trusted: o.TrustedProxies})
	return h
}

// Swap installs a new table, authenticator and trusted-proxy list at once and
// returns the previous table (the caller closes it after a grace period).
// strip lists request headers that clients may never send (forwarded claims
// and the API key name header).
func (h *Handler) Swap(t *Table, a *auth.Authenticator, trusted TrustedProxies, strip []string) *Table {
	cs := make([]string, len(strip))
	for i, s := range strip {
		cs[i] = http.CanonicalHeaderKey(s)
	}
	old := h.state.Swap(&active{table: t, auth: a, trusted: trusted, strip: cs})
	return old.table
}

// reqState carries per-request facts from ServeHTTP to the Rewrite hook.
type reqState struct {
	route     *Route
	path      string
	identity  *auth.Identity
	peer      netip.Addr
	peerStr   string
	xff       []string
	requestID string
	tls       bool
}

type stateKey struct{}

// stateCtx carries the request state in the context with one allocation
// (context.WithValue plus a separate state would take two).
type stateCtx struct {
	context.Context
	st reqState
}

func (c *stateCtx) Value(key any) any {
	if key == (stateKey{}) {
		return &c.st
	}
	return c.Context.Value(key)
}

// recorder captures the status and size for logs and metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var recorders = sync.Pool{New: func() any { return new(recorder) }}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	st := h.state.Load()
	rec := recorders.Get().(*recorder)
	*rec = recorder{ResponseWriter: w}
	defer recorders.Put(rec)

	rid := r.Header.Get(h.ridHeader)
	if !validRequestID(rid) {
		rid = h.ids.next()
	}
	rec.Header()[h.ridHeader] = []string{rid}

	route, reason := h.serve(rec, r, st, rid)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	end := h.now()
	elapsed := end.Sub(start)
	if route != nil {
		route.metrics.observe(rec.status, elapsed.Seconds())
	} else if reason != "" {
		h.metrics.Rejected.WithLabelValues(reason).Inc()
	}
	if h.access != nil {
		name := ""
		if route != nil {
			name = route.Name
		}
		writeAccess(h.access, &accessRecord{time: end, requestID: rid, method: r.Method, host: r.Host, path: r.URL.EscapedPath(),
			route: name, status: rec.status, bytes: rec.bytes, duration: elapsed, remote: r.RemoteAddr})
	}
}

// serve does the work of one request and returns the matched route, or a
// rejection reason for the metrics when none matched.
func (h *Handler) serve(w *recorder, r *http.Request, st *active, rid string) (*Route, string) {
	path, err := pathnorm.Canonical(r.URL.EscapedPath())
	if err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return nil, "path"
	}
	route := st.table.Match(normHost(r.Host), path)
	if route == nil {
		http.Error(w, "no route", http.StatusNotFound)
		return nil, "no_route"
	}
	if route.maxBody >= 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > route.maxBody {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return route, ""
		}
		r.Body = http.MaxBytesReader(w, r.Body, route.maxBody)
	}
	for _, k := range st.strip {
		delete(r.Header, k)
	}
	id, err := st.auth.Authenticate(r.Context(), r, route.policy, route.scopes)
	if err != nil {
		h.authError(w, err)
		return route, ""
	}
	peer := peerAddr(r.RemoteAddr)
	xff := r.Header["X-Forwarded-For"]
	if route.limiter != nil && !h.limit(w, r, route, st, id, peer, xff) {
		return route, ""
	}
	sc := &stateCtx{Context: r.Context(), st: reqState{route: route, path: path, identity: id, peer: peer, peerStr: peerString(r.RemoteAddr, peer),
		xff: xff, requestID: rid, tls: r.TLS != nil}}
	if !st.trusted.trusted(peer) {
		sc.st.xff = nil
	}
	route.proxy.ServeHTTP(w, r.WithContext(sc))
	return route, ""
}

// peerString is peer in text: the host part of RemoteAddr when that is
// already the canonical IPv4 form (no allocation), else peer.String().
func peerString(remote string, peer netip.Addr) string {
	if peer.Is4() {
		if i := strings.LastIndexByte(remote, ':'); i > 0 && strings.IndexByte(remote[:i], ':') < 0 {
			return remote[:i]
		}
	}
	if !peer.IsValid() {
		return ""
	}
	return peer.String()
}

func peerAddr(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func (h *Handler) authError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, auth.ErrForbidden):
		http.Error(w, "forbidden", http.StatusForbidden)
	default:
		w.Header().Set("WWW-Authenticate", `Bearer realm="gateway"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}
}

// limit applies the route's rate limit, writes the RateLimit-* headers and
// answers 429 (or 503 when a fail-closed limiter is down). It reports
// whether the request may go on.
func (h *Handler) limit(w http.ResponseWriter, r *http.Request, route *Route, st *active, id *auth.Identity, peer netip.Addr, xff []string) bool {
	var key string
	switch route.limitBy {
	case keyAPIKey, keyJWTSub:
		if id != nil && id.Subject != "" {
			key = "s:" + id.Subject
		}
	case keyHeader:
		if v := r.Header.Get(route.limitHeader); v != "" {
			key = "h:" + v
		}
	}
	if key == "" {
		key = "ip:" + st.trusted.ClientIP(peer, xff).String()
	}
	res, err := route.limiter.Allow(r.Context(), key)
	hdr := w.Header()
	if err != nil {
		hdr["Retry-After"] = []string{"1"}
		http.Error(w, "rate limiter unavailable", http.StatusServiceUnavailable)
		return false
	}
	if res.Limit >= 0 {
		// One backing array for the three values instead of three slices.
		vals := [...]string{strconv.Itoa(res.Limit), strconv.Itoa(res.Remaining), strconv.FormatInt(ceilSeconds(res.ResetAfter), 10)}
		v := vals[:]
		hdr["Ratelimit-Limit"] = v[0:1:1]
		hdr["Ratelimit-Remaining"] = v[1:2:2]
		hdr["Ratelimit-Reset"] = v[2:3:3]
	}
	if res.Allowed {
		return true
	}
	hdr["Retry-After"] = []string{strconv.FormatInt(ceilSeconds(res.RetryAfter), 10)}
	route.metrics.limited.Inc()
	http.Error(w, "too many requests", http.StatusTooManyRequests)
	return false
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// rewriter builds the outbound request: the canonical path (prefix
// stripped), the chosen upstream, X-Forwarded-* rebuilt from scratch, the
// request id and identity headers. ReverseProxy has already removed
// hop-by-hop headers, including any named in Connection, before this runs,
// so a client cannot make it drop what is set here.
func (h *Handler) rewriter(route *Route) func(*httputil.ProxyRequest) {
	return func(pr *httputil.ProxyRequest) {
		rs, _ := pr.In.Context().Value(stateKey{}).(*reqState)
		if rs == nil {
			return
		}
		t := route.pick()
		out := pr.Out
		out.URL.Scheme = t.Scheme
		out.URL.Host = t.Host
		out.URL.Path = route.upstreamPath(rs.path)
		out.URL.RawPath = ""
		out.Host = ""
		hdr := out.Header
		client := rs.peerStr
		if len(rs.xff) > 0 {
			prior := rs.xff[0]
			for _, v := range rs.xff[1:] {
				prior += ", " + v
			}
			client = prior + ", " + client
		}
		proto := "http"
		if rs.tls {
			proto = "https"
		}
		// One backing array for the four values instead of four slices.
		vals := [...]string{client, pr.In.Host, proto, rs.requestID}
		v := vals[:]
		hdr["X-Forwarded-For"] = v[0:1:1]
		hdr["X-Forwarded-Host"] = v[1:2:2]
		hdr["X-Forwarded-Proto"] = v[2:3:3]
		hdr[h.ridHeader] = v[3:4:4]
		if rs.identity != nil {
			for _, kv := range rs.identity.Headers {
				hdr[kv[0]] = []string{kv[1]}
			}
		}
	}
}

func (h *Handler) errorHandler(route *Route) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		route.metrics.upstreamErr.Inc()
		status := http.StatusBadGateway
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			status = http.StatusGatewayTimeout
		}
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			status = 499 // client went away; nothing is written to it anyway
		}
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "upstream error", slog.String("route", route.Name), slog.String("err", err.Error()))
		w.WriteHeader(status)
	}
}
