package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// DirStore is a Store in a local directory, sharded by the first two hex
// digits of the digest: <root>/<ns>/<d[:2]>/<d>.
//
// Several processes may share one DirStore: every object is written to a
// temporary file in its shard directory and renamed into place, so readers
// see either nothing or a complete object, and two writers of the same
// object both succeed (the last rename wins; both wrote the same bytes for
// CAS objects). CAS writes are verified against their digest before the
// rename, so a DirStore never holds a blob under the wrong name unless the
// disk itself changes it; reads are verified again by the Cache.
type DirStore struct {
	root string
	now  func() time.Time
}

var _ Store = (*DirStore)(nil)

// touchInterval is how stale an object's modification time must be before a
// read refreshes it; eviction uses it as the last-use time. Refreshing at
// most hourly keeps hits from writing to the disk (as cmd/go does).
const touchInterval = time.Hour

// NewDirStore returns a DirStore rooted at root, creating the directory.
func NewDirStore(root string) (*DirStore, error) {
	if root == "" {
		return nil, fmt.Errorf("cache directory is empty: %w", ErrInvalidOption)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("cache directory %q: %w", root, err)
	}
	for _, ns := range []Namespace{AC, CAS} {
		if err := os.MkdirAll(filepath.Join(abs, string(ns)), 0o777); err != nil {
			return nil, fmt.Errorf("creating cache directory: %w", err)
		}
	}
	return &DirStore{root: abs, now: time.Now}, nil
}

// Root returns the store's directory.
func (s *DirStore) Root() string { return s.root }

// Path returns the file that holds ns/d (which may not exist).
func (s *DirStore) Path(ns Namespace, d Digest) string {
	h := d.String()
	return filepath.Join(s.root, string(ns), h[:2], h)
}

// Get opens ns/d. Errors wrap ErrNotFound when it does not exist.
func (s *DirStore) Get(ctx context.Context, ns Namespace, d Digest) (io.ReadCloser, error) {
	if err := checkNS(ns); err != nil {
		return nil, err
	}
	f, err := os.Open(s.Path(ns, d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s/%s: %w", ns, d, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Contains reports whether ns/d exists.
func (s *DirStore) Contains(ctx context.Context, ns Namespace, d Digest) (bool, error) {
	if err := checkNS(ns); err != nil {
		return false, err
	}
	_, err := os.Stat(s.Path(ns, d))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Put writes size bytes from r as ns/d, atomically. A CAS object whose
// bytes do not hash to d, or any object whose length is not size, is
// rejected with an error wrapping ErrCorrupt and nothing is stored.
func (s *DirStore) Put(ctx context.Context, ns Namespace, d Digest, size int64, r io.Reader) error {
	if err := checkNS(ns); err != nil {
		return err
	}
	if ns == CAS {
		if _, err := os.Stat(s.Path(ns, d)); err == nil {
			// Already stored; still consume and check the stream, so a
			// caller learns about bad data the same way either way.
			_, err := io.Copy(io.Discard, VerifyReader(r, d, size))
			return err
		}
		r = VerifyReader(r, d, size)
	} else {
		r = &sizedReader{r: r, size: size, name: string(ns) + "/" + d.String()}
	}
	_, err := s.write(ns, d, r, 0o644)
	return err
}

// write streams r into a temporary file beside ns/d and renames it into
// place; it returns the final path.
func (s *DirStore) write(ns Namespace, d Digest, r io.Reader, mode fs.FileMode) (string, error) {
	dst := s.Path(ns, d)
	dir := filepath.Dir(dst)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(dir, 0o777); err == nil {
			f, err = os.CreateTemp(dir, ".tmp-*")
		}
	}
	if err != nil {
		return "", fmt.Errorf("writing %s/%s: %w", ns, d, err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("writing %s/%s: %w", ns, d, err)
	}
	return dst, nil
}

// touch refreshes the modification time of ns/d when it is older than
// touchInterval, marking it as recently used for eviction. Errors are
// ignored: a missed touch only makes eviction less precise.
func (s *DirStore) touch(ns Namespace, d Digest, mtime time.Time) {
	now := s.now()
	if now.Sub(mtime) > touchInterval {
		os.Chtimes(s.Path(ns, d), now, now)
	}
}

func checkNS(ns Namespace) error {
	if !ns.Valid() {
		return fmt.Errorf("namespace %q (want ac or cas): %w", ns, ErrInvalidOption)
	}
	return nil
}

// sizedReader fails with ErrCorrupt when its stream is not exactly size
// bytes long.
type sizedReader struct {
	r    io.Reader
	size int64
	n    int64
	name string
}

func (s *sizedReader) Read(p []byte) (int, error) {
	if int64(len(p)) > s.size-s.n+1 {
		p = p[:s.size-s.n+1]
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n > s.size {
		return n, fmt.Errorf("%s: longer than %d bytes: %w", s.name, s.size, ErrCorrupt)
	}
	if err == io.EOF && s.n != s.size {
		return n, fmt.Errorf("%s: %d bytes, want %d: %w", s.name, s.n, s.size, ErrCorrupt)
	}
	return n, err
}
