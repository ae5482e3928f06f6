// Package blobstore is a cache.Store on object storage through
// gocloud.dev/blob. Importing it registers the file and mem schemes;
// importing blobstore/cloud adds s3, gs and azblob (kept apart because the
// cloud SDKs add tens of megabytes and milliseconds of start-up to a
// binary). The URL is passed to gocloud, so its query parameters apply:
//
//	s3://bucket?region=eu-west-1&prefix=cent/
//	s3://bucket?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1  (MinIO)
//	gs://bucket?prefix=cent/
//	azblob://container
//	file:///srv/cent-cache
//	mem://  (in-process, for tests)
//
// Credentials come from each cloud's usual environment and configuration
// files (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS,
// AZURE_STORAGE_ACCOUNT, ...). Objects are stored under ac/<sha256> and
// cas/<sha256>, the Bazel HTTP cache layout.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file://
	_ "gocloud.dev/blob/memblob"  // mem://
	"gocloud.dev/gcerrors"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

// Schemes are the URL schemes this package registers.
var Schemes = []string{"file", "mem"}

func init() {
	for _, s := range Schemes {
		cache.Register(s, Opener)
	}
}

// Opener is a cache.Opener for any scheme gocloud.dev/blob has a driver
// for in the binary.
func Opener(ctx context.Context, u *url.URL, cfg cache.StoreConfig) (cache.Store, error) {
	return Open(ctx, u.String())
}

// Store keeps cache objects in a gocloud bucket.
type Store struct {
	b *blob.Bucket
}

var _ cache.Store = (*Store)(nil)

// Open opens the bucket named by a gocloud URL. For file:// URLs it sets
// metadata=skip unless the URL chooses otherwise: fileblob's metadata
// sidecar files are rewritten in place, so a reader racing a writer of the
// same object could fail, and the cache needs no metadata.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	if u, err := url.Parse(rawURL); err == nil && u.Scheme == "file" {
		q := u.Query()
		if !q.Has("metadata") {
			q.Set("metadata", "skip")
			u.RawQuery = q.Encode()
			rawURL = u.String()
		}
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("opening bucket: %w", err)
	}
	return New(b), nil
}

// New returns a Store over an open bucket; the Store owns it.
func New(b *blob.Bucket) *Store { return &Store{b: b} }

// Bucket returns the underlying bucket.
func (s *Store) Bucket() *blob.Bucket { return s.b }

// Close closes the bucket.
func (s *Store) Close() error { return s.b.Close() }

// Key returns the object key of ns/d.
func Key(ns cache.Namespace, d cache.Digest) string { return string(ns) + "/" + d.String() }

// Get opens ns/d. Errors wrap cache.ErrNotFound when it does not exist.
func (s *Store) Get(ctx context.Context, ns cache.Namespace, d cache.Digest) (io.ReadCloser, error) {
	if !ns.Valid() {
		return nil, fmt.Errorf("namespace %q: %w", ns, cache.ErrInvalidOption)
	}
	r, err := s.b.NewReader(ctx, Key(ns, d), nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("%s: %w", Key(ns, d), cache.ErrNotFound)
		}
		return nil, fmt.Errorf("reading %s: %w", Key(ns, d), err)
	}
	return r, nil
}

// Put writes ns/d. The object becomes visible only when all size bytes
// were written; a failed or short upload is aborted.
func (s *Store) Put(ctx context.Context, ns cache.Namespace, d cache.Digest, size int64, r io.Reader) error {
	if !ns.Valid() {
		return fmt.Errorf("namespace %q: %w", ns, cache.ErrInvalidOption)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(wctx, Key(ns, d), &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("writing %s: %w", Key(ns, d), err)
	}
	n, err := io.Copy(w, io.LimitReader(r, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("%d bytes, want %d: %w", n, size, cache.ErrCorrupt)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		cancel() // aborts the upload
		w.Close()
		return fmt.Errorf("writing %s: %w", Key(ns, d), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", Key(ns, d), err)
	}
	return nil
}

// Contains reports whether ns/d exists.
func (s *Store) Contains(ctx context.Context, ns cache.Namespace, d cache.Digest) (bool, error) {
	if !ns.Valid() {
		return false, fmt.Errorf("namespace %q: %w", ns, cache.ErrInvalidOption)
	}
	ok, err := s.b.Exists(ctx, Key(ns, d))
	if err != nil && !errors.Is(err, context.Canceled) {
		return false, fmt.Errorf("checking %s: %w", Key(ns, d), err)
	}
	return ok, err
}
