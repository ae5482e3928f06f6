package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// fastTransport is an HTTP/1.1 RoundTripper for plain-HTTP upstreams that
// does the whole exchange on the caller's goroutine: it takes an idle
// keep-alive connection (or dials one), writes the request, and parses the
// response from a pooled reader. http.Transport instead hands every request
// to two goroutines per connection, which costs a third of the proxy's CPU
// on small requests. Requests it cannot serve (HTTPS, protocol upgrades) go
// to the fallback transport.
type fastTransport struct {
	fallback              http.RoundTripper
	dialer                *net.Dialer
	maxIdle               int
	responseHeaderTimeout time.Duration
	idleTimeout           time.Duration

	mu    sync.Mutex
	idle  map[string][]*fastConn
	close bool
}

var _ http.RoundTripper = (*fastTransport)(nil)

type fastConn struct {
	net.Conn
	lr       io.LimitedReader // bounds response headers
	br       *bufio.Reader
	bw       *bufio.Writer
	idleAt   time.Time
	addr     string
	reused   bool
	t        *fastTransport
	stopCtx  func() bool
	canceled atomic.Bool
}

func newFastTransport(fallback http.RoundTripper, maxIdle int, respTimeout time.Duration) *fastTransport {
	return &fastTransport{fallback: fallback, dialer: &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		maxIdle: maxIdle, responseHeaderTimeout: respTimeout, idleTimeout: 90 * time.Second, idle: map[string][]*fastConn{}}
}

// CloseIdleConnections closes pooled connections and stops pooling.
func (t *fastTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*fastConn{}
	t.close = true
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			_ = c.Conn.Close()
		}
	}
	if ci, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

func (t *fastTransport) get(ctx context.Context, addr string) (*fastConn, error) {
	now := time.Now()
	t.mu.Lock()
	for cs := t.idle[addr]; len(cs) > 0; cs = t.idle[addr] {
		c := cs[len(cs)-1]
		t.idle[addr] = cs[:len(cs)-1]
		if idle := now.Sub(c.idleAt); idle < t.idleTimeout {
			t.mu.Unlock()
			// A connection idle for a while may have been closed by the
			// upstream's own idle timeout: check before sending a request
			// that could not be replayed.
			if idle > time.Second && !alive(c.Conn) {
				_ = c.Conn.Close()
				t.mu.Lock()
				continue
			}
			c.reused = true
			return c, nil
		}
		_ = c.Conn.Close()
	}
	t.mu.Unlock()
	nc, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &fastConn{Conn: nc, bw: bufio.NewWriterSize(nc, 16<<10), addr: addr, t: t}
	c.lr = io.LimitedReader{R: nc, N: math.MaxInt64}
	c.br = bufio.NewReaderSize(&c.lr, 16<<10)
	return c, nil
}

func (t *fastTransport) put(c *fastConn) {
	c.idleAt = time.Now()
	t.mu.Lock()
	if !t.close && len(t.idle[c.addr]) < t.maxIdle {
		t.idle[c.addr] = append(t.idle[c.addr], c)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	_ = c.Conn.Close()
}

func canRetry(req *http.Request) bool {
	return idempotent(req.Method) && (req.Body == nil || req.Body == http.NoBody)
}

// RoundTrip implements http.RoundTripper.
func (t *fastTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" || req.Header.Get("Upgrade") != "" || req.ProtoMajor > 1 && req.Header.Get("Te") == "trailers" {
		return t.fallback.RoundTrip(req)
	}
	addr := req.URL.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "80")
	}
	for attempt := 0; ; attempt++ {
		c, err := t.get(req.Context(), addr)
		if err != nil {
			return nil, err
		}
		resp, err := c.exchange(req)
		if err == nil {
			return resp, nil
		}
		_ = c.Conn.Close()
		// A keep-alive connection the upstream closed while idle fails
		// before any response byte: retry once on a fresh connection when
		// the request can be replayed.
		if c.reused && attempt == 0 && errors.Is(err, errStale) && canRetry(req) && req.Context().Err() == nil {
			continue
		}
		if c.canceled.Load() && req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		return nil, err
	}
}

var errStale = errors.New("connection closed before the response")

// maxResponseHeaderBytes bounds what an upstream may send before its
// response body, as http.Transport's MaxResponseHeaderBytes does.
const maxResponseHeaderBytes = 1 << 20

func (c *fastConn) exchange(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	c.canceled.Store(false)
	c.stopCtx = context.AfterFunc(ctx, func() {
		c.canceled.Store(true)
		_ = c.Conn.SetDeadline(time.Unix(1, 0))
	})
	fail := func(err error) (*http.Response, error) {
		c.stopCtx()
		return nil, err
	}
	wreq := req
	var rec *bodyErrRecorder
	if req.Body != nil && req.Body != http.NoBody {
		rec = &bodyErrRecorder{rc: req.Body}
		cp := *req
		cp.Body = rec
		wreq = &cp
	}
	if err := wreq.Write(c.bw); err != nil {
		if rec != nil && rec.err != nil {
			return fail(rec.err) // the client's body failed (too large, cut off)
		}
		if c.reused {
			return fail(fmt.Errorf("%w: %v", errStale, err))
		}
		return fail(err)
	}
	if err := c.bw.Flush(); err != nil {
		if c.reused {
			return fail(fmt.Errorf("%w: %v", errStale, err))
		}
		return fail(err)
	}
	if c.t.responseHeaderTimeout > 0 {
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.t.responseHeaderTimeout))
	}
	c.lr.N = maxResponseHeaderBytes + int64(c.br.Buffered())
	if _, err := c.br.Peek(1); err != nil {
		if c.reused && !isTimeout(err) && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)) {
			return fail(fmt.Errorf("%w: %v", errStale, err))
		}
		return fail(timeoutErr(err))
	}
	var resp *http.Response
	for {
		r, err := http.ReadResponse(c.br, req)
		if err != nil {
			return fail(timeoutErr(err))
		}
		if r.StatusCode >= 100 && r.StatusCode < 200 && r.StatusCode != http.StatusSwitchingProtocols {
			continue // informational responses are not forwarded here
		}
		resp = r
		break
	}
	c.lr.N = math.MaxInt64
	if c.t.responseHeaderTimeout > 0 {
		_ = c.Conn.SetReadDeadline(time.Time{})
	}
	reuse := !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols
	resp.Body = &fastBody{rc: resp.Body, c: c, reuse: reuse, eof: resp.Body == http.NoBody}
	return resp, nil
}

// timeoutErr makes a read deadline look like http.Transport's response
// header timeout so the proxy answers 504.
func timeoutErr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &timeoutError{err}
	}
	return err
}

type timeoutError struct{ err error }

func (e *timeoutError) Error() string   { return "timeout awaiting response headers: " + e.err.Error() }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
func (e *timeoutError) Unwrap() error   { return e.err }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "read"
}

// fastBody returns the connection to the pool once the body has been read
// to the end and closed, or closes it otherwise.
type fastBody struct {
	rc    io.ReadCloser
	c     *fastConn
	reuse bool
	eof   bool
	done  bool
}

func (b *fastBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, errors.New("read on closed body")
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *fastBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.rc.Close()
	stopped := b.c.stopCtx()
	if b.eof && b.reuse && stopped && err == nil && b.c.br.Buffered() == 0 {
		b.c.t.put(b.c)
		return nil
	}
	_ = b.c.Conn.Close()
	return err
}

// bodyErrRecorder remembers the request body's read error, which
// Request.Write reports in a form errors.As cannot see through.
type bodyErrRecorder struct {
	rc  io.ReadCloser
	err error
}

func (b *bodyErrRecorder) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *bodyErrRecorder) Close() error { return b.rc.Close() }
