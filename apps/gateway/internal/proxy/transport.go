package proxy

import (
	"net/http"
	"sync"
)

// retryTransport retries idempotent requests without a body on the next
// upstream after a connection error. Responses, even 5xx, are never retried:
// the upstream may have acted on the request.
type retryTransport struct {
	base  http.RoundTripper
	route *Route
}

var _ http.RoundTripper = (*retryTransport)(nil)

func idempotent(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil || !idempotent(req.Method) || (req.Body != nil && req.Body != http.NoBody) {
		return resp, err
	}
	for i := 0; i < t.route.retries && err != nil && req.Context().Err() == nil; i++ {
		next := req.Clone(req.Context())
		u := t.route.pick()
		next.URL.Scheme, next.URL.Host = u.Scheme, u.Host
		resp, err = t.base.RoundTrip(next)
	}
	return resp, err
}

// bufPool lends the reverse proxy 32 KiB copy buffers.
type bufPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufPool) Put(b []byte) { buffers.Put(&b) }
