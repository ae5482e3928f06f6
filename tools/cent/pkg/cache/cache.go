package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Options configures a Cache. The zero value is a local-only cache in
// DefaultDir.
type Options struct {
	// Dir is the local cache directory; empty means DefaultDir().
	Dir string
	// Remote, when set, is consulted on local misses and receives every
	// saved entry (unless RemoteReadOnly).
	Remote Store
	// RemoteReadOnly stops uploads, for builds that must not write to a
	// shared cache (untrusted pull requests).
	RemoteReadOnly bool
	// SigningKey, when set, signs saved entries with HMAC-SHA256 and makes
	// lookups reject entries that are unsigned or signed with another key.
	SigningKey []byte
	// Warn receives one line per problem the cache works around (a corrupt
	// entry, a remote that is down); nil discards them.
	Warn func(format string, args ...any)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// AsyncUpload makes saves return once the local cache has the entry,
	// uploading to the remote in the background; Close waits for the
	// uploads to finish.
	AsyncUpload bool
}

// DefaultDir returns the per-user cache directory, <user cache dir>/centuria.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locating the user cache directory (set a cache directory explicitly): %w", err)
	}
	return filepath.Join(d, "centuria"), nil
}

// Cache is a content-addressed store of task results: a local directory in
// front of an optional remote store. It is safe for concurrent use by
// several goroutines, and several processes may share its directory.
type Cache struct {
	local    *DirStore
	remote   Store
	readOnly bool
	key      []byte
	warnf    func(format string, args ...any)
	now      func() time.Time

	remoteDown atomic.Bool
	downOnce   sync.Once

	verified sync.Map // Digest -> struct{}: local blobs hashed by BlobPath

	async   bool
	uploads sync.WaitGroup
	slots   chan struct{} // bounds concurrent background uploads
}

// Open opens (creating if needed) the local cache directory.
func Open(ctx context.Context, o Options) (*Cache, error) {
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	local, err := NewDirStore(dir)
	if err != nil {
		return nil, err
	}
	c := &Cache{
		local:    local,
		remote:   o.Remote,
		readOnly: o.RemoteReadOnly,
		key:      o.SigningKey,
		warnf:    o.Warn,
		now:      o.Now,
		async:    o.AsyncUpload,
		slots:    make(chan struct{}, 4),
	}
	if c.warnf == nil {
		c.warnf = func(string, ...any) {}
	}
	if c.now == nil {
		c.now = time.Now
	}
	local.now = c.now
	if err := os.MkdirAll(filepath.Join(local.root, runsDir), 0o777); err != nil {
		return nil, fmt.Errorf("creating cache directory: %w", err)
	}
	return c, nil
}

// Dir returns the local cache directory.
func (c *Cache) Dir() string { return c.local.root }

// Local returns the local directory store.
func (c *Cache) Local() *DirStore { return c.local }

// Close waits for background uploads and releases the remote store.
func (c *Cache) Close() error {
	c.uploads.Wait()
	if c.remote == nil {
		return nil
	}
	return closeStore(c.remote)
}

// warn reports a problem the cache worked around.
func (c *Cache) warn(format string, args ...any) { c.warnf(format, args...) }

// remoteOK reports whether the remote store may be used.
func (c *Cache) remoteOK() bool { return c.remote != nil && !c.remoteDown.Load() }

// remoteFailed handles a remote error: a miss, a corrupt or a rejected
// object is the caller's business; anything else marks the remote as down for the rest
// of the Cache's life and warns once. It reports whether err was a
// transport failure.
func (c *Cache) remoteFailed(ctx context.Context, err error) bool {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrBadSignature) || errors.Is(err, ErrRejected) {
		return false
	}
	if ctx.Err() != nil {
		return true // our own cancellation, not the remote's fault
	}
	c.remoteDown.Store(true)
	c.downOnce.Do(func() {
		c.warn("remote cache unavailable, continuing with the local cache only: %v", err)
	})
	return true
}

// Lookup returns the entry saved under key, looking in the local directory
// first and then in the remote store, whose entry and blobs it copies into
// the local directory. Every blob the entry refers to is present locally
// when Lookup returns it. A missing, corrupt, unsigned or wrongly signed
// entry is a miss: Lookup warns (except for a plain miss) and returns an
// error wrapping ErrNotFound. Other errors come only from ctx.
func (c *Cache) Lookup(ctx context.Context, key Digest) (*Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := c.lookupLocal(ctx, key)
	if err == nil {
		return e, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !c.remoteOK() {
		return nil, fmt.Errorf("entry %s: %w", key, ErrNotFound)
	}
	e, err = c.lookupRemote(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("entry %s: %w", key, ErrNotFound)
	}
	return e, nil
}

// lookupLocal reads and verifies a local entry and checks that its blobs
// are present, fetching missing ones from the remote.
func (c *Cache) lookupLocal(ctx context.Context, key Digest) (*Entry, error) {
	path := c.local.Path(AC, key)
	f, err := os.Open(path)
	if err != nil {
		return nil, ErrNotFound
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxEntrySize+1))
	var mtime time.Time
	if fi, serr := f.Stat(); serr == nil {
		mtime = fi.ModTime()
	}
	f.Close()
	if err != nil {
		c.warn("cache entry %s: %v (treated as a miss)", key, err)
		return nil, err
	}
	e, err := DecodeEntry(data, key, c.key)
	if err != nil {
		c.warn("local cache: %v (treated as a miss)", err)
		os.Remove(path)
		return nil, err
	}
	if err := c.ensureBlobs(ctx, e); err != nil {
		return nil, err
	}
	c.local.touch(AC, key, mtime)
	return e, nil
}

// lookupRemote fetches and verifies a remote entry and its blobs.
func (c *Cache) lookupRemote(ctx context.Context, key Digest) (*Entry, error) {
	rc, err := c.remote.Get(ctx, AC, key)
	if err != nil {
		c.remoteFailed(ctx, err)
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rc, MaxEntrySize+1))
	rc.Close()
	if err != nil {
		c.remoteFailed(ctx, err)
		return nil, err
	}
	e, err := DecodeEntry(data, key, c.key)
	if err != nil {
		c.warn("remote cache: %v (treated as a miss)", err)
		return nil, err
	}
	if err := c.ensureBlobs(ctx, e); err != nil {
		return nil, err
	}
	if _, err := c.local.write(AC, key, bytesReader(data), 0o644); err != nil {
		c.warn("local cache: storing entry %s: %v", key, err)
	}
	return e, nil
}

// ensureBlobs makes sure every blob of e is in the local CAS, refreshing
// the use time of those present and fetching the others from the remote.
func (c *Cache) ensureBlobs(ctx context.Context, e *Entry) error {
	var missing []Output
	for _, b := range e.Blobs() {
		if b.Size == 0 && b.Digest == emptyDigest {
			continue // the empty blob is implicit
		}
		fi, err := os.Stat(c.local.Path(CAS, b.Digest))
		if err != nil {
			missing = append(missing, b)
			continue
		}
		if fi.Size() != b.Size {
			c.dropIfCorrupt(b.Digest)
			err := fmt.Errorf("entry %s: blob %s has %d bytes, the entry says %d: %w", e.Key, b.Digest, fi.Size(), b.Size, ErrCorrupt)
			c.warn("local cache: %v (treated as a miss)", err)
			return err
		}
		c.local.touch(CAS, b.Digest, fi.ModTime())
	}
	if len(missing) == 0 {
		return nil
	}
	if !c.remoteOK() {
		return fmt.Errorf("entry %s: blob %s (%s) is missing: %w", e.Key, missing[0].Digest, missing[0].Path, ErrNotFound)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, b := range missing {
		g.Go(func() error { return c.fetchBlob(gctx, b.Digest, b.Size) })
	}
	if err := g.Wait(); err != nil {
		if errors.Is(err, ErrCorrupt) {
			c.warn("remote cache: entry %s: %v (treated as a miss)", e.Key, err)
		}
		return err
	}
	return nil
}

// fetchBlob copies a blob from the remote into the local CAS, verifying it.
func (c *Cache) fetchBlob(ctx context.Context, d Digest, size int64) error {
	if !c.remoteOK() {
		return fmt.Errorf("blob %s: %w", d, ErrNotFound)
	}
	rc, err := c.remote.Get(ctx, CAS, d)
	if err != nil {
		c.remoteFailed(ctx, err)
		return err
	}
	defer rc.Close()
	err = c.local.Put(ctx, CAS, d, size, rc)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		if !c.remoteFailed(ctx, err) {
			return err
		}
	}
	return err
}

// BlobPath returns the local file holding blob d of the given size,
// fetching it from the remote when it is not present. A local file is
// hashed before its path is first returned by this Cache (a corrupt one is
// dropped and fetched again), so callers that read the file directly, like
// the go command through GOCACHEPROG, never see wrong bytes. The file must
// not be modified. Errors wrap ErrNotFound or ErrCorrupt on a miss.
func (c *Cache) BlobPath(ctx context.Context, d Digest, size int64) (string, error) {
	p := c.local.Path(CAS, d)
	if _, ok := c.verified.Load(d); ok {
		return p, nil
	}
	if fi, err := os.Stat(p); err == nil && fi.Size() == size {
		if f, err := os.Open(p); err == nil {
			got, n, err := SumReader(f)
			f.Close()
			if err == nil && got == d && n == size {
				c.local.touch(CAS, d, fi.ModTime())
				c.verified.Store(d, struct{}{})
				return p, nil
			}
		}
		c.warn("local cache: blob %s does not match its digest (fetching it again)", d)
		c.dropIfCorrupt(d)
	}
	if size == 0 && d == emptyDigest {
		if err := c.local.Put(ctx, CAS, d, 0, bytesReader(nil)); err != nil {
			return "", err
		}
	} else if err := c.fetchBlob(ctx, d, size); err != nil {
		return "", err
	}
	c.verified.Store(d, struct{}{})
	return p, nil
}

// PutBlob stores size bytes from r whose SHA-256 is d in the local CAS
// and returns the local file that holds it. It does not upload: SaveEntry
// uploads an entry's blobs with it. Errors wrap ErrCorrupt when the bytes
// do not match d and size.
func (c *Cache) PutBlob(ctx context.Context, d Digest, size int64, r io.Reader) (string, error) {
	if err := c.local.Put(ctx, CAS, d, size, r); err != nil {
		return "", err
	}
	return c.local.Path(CAS, d), nil
}

// SaveEntry signs (when a key is set) and stores e in the local AC, then
// uploads its blobs (those the remote lacks) and the entry to the remote,
// in that order, so that a remote reader never finds an entry whose blobs
// are missing. Its blobs must already be in the local CAS (see PutBlob).
// Remote failures only warn; with Options.AsyncUpload the upload runs in
// the background and Close waits for it.
func (c *Cache) SaveEntry(ctx context.Context, e *Entry) error {
	data, err := EncodeEntry(e, c.key)
	if err != nil {
		return err
	}
	if _, err := c.local.write(AC, e.Key, bytesReader(data), 0o644); err != nil {
		return err
	}
	if c.uploading() {
		c.startUpload(ctx, func(ctx context.Context) { c.uploadEntry(ctx, e, data) })
	}
	return nil
}

// fileMode returns the permission bits of fi.
func fileMode(fi fs.FileInfo) fs.FileMode { return fi.Mode().Perm() }

// dropIfCorrupt removes local blob d when its content does not hash to d.
// A blob that verifies is kept even when an entry disagrees about its
// size: the entry is what is wrong then.
func (c *Cache) dropIfCorrupt(d Digest) {
	p := c.local.Path(CAS, d)
	f, err := os.Open(p)
	if err != nil {
		return
	}
	got, _, err := SumReader(f)
	f.Close()
	if err == nil && got != d {
		os.Remove(p)
	}
}
