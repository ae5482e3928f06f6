package cache

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Namespace separates the two kinds of objects a store holds, as in the
// Bazel remote cache protocol.
type Namespace string

// The namespaces of a store.
const (
	// AC holds action entries, addressed by the task's cache key.
	AC Namespace = "ac"
	// CAS holds blobs (outputs and logs), addressed by the SHA-256 of their
	// bytes, so identical blobs are stored once across tasks.
	CAS Namespace = "cas"
)

// Valid reports whether ns is AC or CAS.
func (ns Namespace) Valid() bool { return ns == AC || ns == CAS }

// Store is a cache backend: a local directory, a Bazel HTTP cache or an
// object storage bucket. Implementations are safe for concurrent use.
//
// A Store moves bytes; it need not verify them. The Cache verifies every
// blob's digest and every entry's integrity and signature on read.
type Store interface {
	// Get opens the object ns/d. It returns an error wrapping ErrNotFound
	// when the object does not exist.
	Get(ctx context.Context, ns Namespace, d Digest) (io.ReadCloser, error)
	// Put stores size bytes from r as ns/d. Readers never observe a partly
	// written object.
	Put(ctx context.Context, ns Namespace, d Digest, size int64, r io.Reader) error
	// Contains reports whether ns/d exists.
	Contains(ctx context.Context, ns Namespace, d Digest) (bool, error)
}

// StoreConfig carries what a remote backend may need besides its URL.
// Credentials come from the caller (the command layer reads them from the
// environment); backends never read the environment for them.
type StoreConfig struct {
	// Token is sent as "Authorization: Bearer <Token>" by HTTP backends.
	Token string
	// User and Password are sent as basic auth by HTTP backends when Token
	// is empty.
	User, Password string
	// Timeout bounds each request; zero means DefaultRequestTimeout.
	Timeout time.Duration
	// HTTPClient, when set, replaces the HTTP backends' default client.
	HTTPClient *http.Client
}

// DefaultRequestTimeout bounds one remote request when StoreConfig.Timeout
// is zero.
const DefaultRequestTimeout = 30 * time.Second

// RequestTimeout returns c.Timeout or the default.
func (c StoreConfig) RequestTimeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultRequestTimeout
}

// Opener builds a Store for a remote cache URL.
type Opener func(ctx context.Context, u *url.URL, cfg StoreConfig) (Store, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{}
)

// Register makes a backend available for URLs with the given scheme. It is
// meant to be called from a backend package's init function and panics
// when the scheme is registered twice.
func Register(scheme string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	scheme = strings.ToLower(scheme)
	if _, dup := registry[scheme]; dup {
		panic("cache: Register called twice for scheme " + scheme)
	}
	registry[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// OpenStore opens the remote store named by rawURL with the backend
// registered for its scheme, wrapped so that every request is bounded by
// cfg's timeout. Errors wrap ErrInvalidOption or ErrUnknownScheme.
func OpenStore(ctx context.Context, rawURL string, cfg StoreConfig) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing remote cache URL: %v: %w", err, ErrInvalidOption)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("remote cache URL %q has no scheme (want one of %s): %w", rawURL, strings.Join(Schemes(), ", "), ErrInvalidOption)
	}
	registryMu.RLock()
	open := registry[strings.ToLower(u.Scheme)]
	registryMu.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("remote cache URL %q: scheme %q (registered: %s): %w", redact(u), u.Scheme, strings.Join(Schemes(), ", "), ErrUnknownScheme)
	}
	s, err := open(ctx, u, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening remote cache %s: %w", redact(u), err)
	}
	return WithTimeout(s, cfg.RequestTimeout()), nil
}

// redact returns u without its password, for messages.
func redact(u *url.URL) string { return u.Redacted() }
