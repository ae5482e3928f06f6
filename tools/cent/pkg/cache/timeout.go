package cache

import (
	"context"
	"io"
	"time"
)

// timeoutStore bounds every request to another Store.
type timeoutStore struct {
	s Store
	d time.Duration
}

var _ Store = (*timeoutStore)(nil)

// WithTimeout returns a Store whose requests to s each get at most d,
// including reading a Get's body to its end. A non-positive d returns s.
func WithTimeout(s Store, d time.Duration) Store {
	if d <= 0 {
		return s
	}
	return &timeoutStore{s: s, d: d}
}

// Unwrap returns the decorated store.
func (t *timeoutStore) Unwrap() Store { return t.s }

func (t *timeoutStore) Get(ctx context.Context, ns Namespace, d Digest) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	rc, err := t.s.Get(ctx, ns, d)
	if err != nil {
		cancel()
		return nil, err
	}
	return &cancelOnClose{ReadCloser: rc, cancel: cancel}, nil
}

func (t *timeoutStore) Put(ctx context.Context, ns Namespace, d Digest, size int64, r io.Reader) error {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.s.Put(ctx, ns, d, size, r)
}

func (t *timeoutStore) Contains(ctx context.Context, ns Namespace, d Digest) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, t.d)
	defer cancel()
	return t.s.Contains(ctx, ns, d)
}

// Close closes the decorated store when it has a Close method.
func (t *timeoutStore) Close() error { return closeStore(t.s) }

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// closeStore closes s when it implements io.Closer.
func closeStore(s Store) error {
	if c, ok := s.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
