// Package httpstore is a cache.Store speaking the Bazel HTTP cache
// protocol: GET, PUT and HEAD on <base>/ac/<sha256> and <base>/cas/<sha256>.
// bazel-remote, nginx with WebDAV PUT enabled, and most CI cache services
// serve it. Importing the package registers the http and https schemes.
package httpstore

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

func init() {
	cache.Register("http", open)
	cache.Register("https", open)
}

func open(ctx context.Context, u *url.URL, cfg cache.StoreConfig) (cache.Store, error) {
	return New(u.String(), cfg)
}

// Store is a Bazel HTTP cache client.
type Store struct {
	base   string // without a trailing slash
	client *http.Client
	auth   func(*http.Request)
}

var _ cache.Store = (*Store)(nil)

// New returns a Store for the cache at base (http or https; user
// information in the URL is used as basic auth unless cfg has credentials).
// Errors wrap cache.ErrInvalidOption.
func New(base string, cfg cache.StoreConfig) (*Store, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("http cache URL: %v: %w", err, cache.ErrInvalidOption)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("http cache URL %q: want http(s)://host[:port][/path]: %w", u.Redacted(), cache.ErrInvalidOption)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("http cache URL %q: query and fragment are not supported: %w", u.Redacted(), cache.ErrInvalidOption)
	}
	s := &Store{client: cfg.HTTPClient, auth: func(*http.Request) {}}
	user, pass := cfg.User, cfg.Password
	if u.User != nil && cfg.Token == "" && user == "" {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	u.User = nil
	s.base = strings.TrimSuffix(u.String(), "/")
	switch {
	case cfg.Token != "":
		token := cfg.Token
		s.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	case user != "":
		s.auth = func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}
	if s.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32
		t.ResponseHeaderTimeout = cfg.RequestTimeout()
		s.client = &http.Client{Transport: t, Timeout: 0}
	}
	return s, nil
}

// URL returns the address of ns/d.
func (s *Store) URL(ns cache.Namespace, d cache.Digest) string {
	return s.base + "/" + string(ns) + "/" + d.String()
}

func (s *Store) do(ctx context.Context, method string, ns cache.Namespace, d cache.Digest, body io.Reader, size int64) (*http.Response, error) {
	if !ns.Valid() {
		return nil, fmt.Errorf("namespace %q: %w", ns, cache.ErrInvalidOption)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL(ns, d), body)
	if err != nil {
		return nil, err
	}
	if method == http.MethodPut {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	s.auth(req)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", method, ns, d, err)
	}
	return resp, nil
}

// Get fetches ns/d. A 404 is an error wrapping cache.ErrNotFound.
func (s *Store) Get(ctx context.Context, ns cache.Namespace, d cache.Digest) (io.ReadCloser, error) {
	resp, err := s.do(ctx, http.MethodGet, ns, d, nil, 0)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, nil
	case http.StatusNotFound:
		drain(resp)
		return nil, fmt.Errorf("GET %s/%s: %w", ns, d, cache.ErrNotFound)
	default:
		return nil, statusError(resp, "GET", ns, d)
	}
}

// Put uploads ns/d with a Content-Length of size.
func (s *Store) Put(ctx context.Context, ns cache.Namespace, d cache.Digest, size int64, r io.Reader) error {
	resp, err := s.do(ctx, http.MethodPut, ns, d, io.NopCloser(r), size)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 == 2 {
		drain(resp)
		return nil
	}
	return statusError(resp, "PUT", ns, d)
}

// Contains asks with HEAD whether ns/d exists.
func (s *Store) Contains(ctx context.Context, ns cache.Namespace, d cache.Digest) (bool, error) {
	resp, err := s.do(ctx, http.MethodHead, ns, d, nil, 0)
	if err != nil {
		return false, err
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	default:
		return false, statusError(resp, "HEAD", ns, d)
	}
}

// statusError describes an unexpected response, with a hint for
// authentication failures, and closes its body. Statuses that refuse one
// object wrap cache.ErrRejected.
func statusError(resp *http.Response, method string, ns cache.Namespace, d cache.Digest) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	resp.Body.Close()
	hint := ""
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		hint = " (check the remote cache token or user and password)"
	}
	text := strings.TrimSpace(string(msg))
	if len(text) > 0 && !strings.HasPrefix(text, "<") {
		text = ": " + text
	} else {
		text = ""
	}
	err := fmt.Errorf("%s %s/%s: %s%s%s", method, ns, d, resp.Status, hint, text)
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusConflict, http.StatusLengthRequired,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		// This object is refused; the server works.
		return fmt.Errorf("%w: %w", err, cache.ErrRejected)
	}
	return err
}

// drain reads a little of the body so the connection can be reused, and
// closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
}
