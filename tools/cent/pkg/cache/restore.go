package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"golang.org/x/sync/errgroup"
)

// Restore writes e's outputs under root, byte-identical and with their
// recorded permission bits, and then replays its logs to stdout and
// stderr (either may be nil). An output already present with the same
// content, size and mode is left untouched.
//
// Every blob is verified against its digest while it is copied. Outputs
// are first written to temporary files beside their destinations and
// renamed into place only when all of them and both logs have verified,
// so a failed restore changes nothing visible under root (it may leave
// nothing but removed temporary files) and writes no log. Writes cannot
// escape root, even through symbolic links inside it. A corrupt or
// missing blob is removed from the local cache, reported through the
// warning function and returned as an error wrapping ErrCorrupt or
// ErrNotFound: the caller should treat it as a miss and run the task.
func (c *Cache) Restore(ctx context.Context, e *Entry, root string, stdout, stderr io.Writer) error {
	if err := e.validate(); err != nil {
		return err
	}
	if len(e.Outputs) > 0 {
		if err := c.restoreOutputs(ctx, e, root); err != nil {
			return err
		}
	}
	return c.replayLogs(ctx, e, stdout, stderr)
}

// replayLogs verifies both logs before writing either.
func (c *Cache) replayLogs(ctx context.Context, e *Entry, stdout, stderr io.Writer) error {
	out, err := c.readBlob(ctx, e, e.Stdout, e.StdoutSize, stdout)
	if err != nil {
		return err
	}
	errLog, err := c.readBlob(ctx, e, e.Stderr, e.StderrSize, stderr)
	if err != nil {
		return err
	}
	if stdout != nil && len(out) > 0 {
		if _, err := stdout.Write(out); err != nil {
			return fmt.Errorf("replaying stdout: %w", err)
		}
	}
	if stderr != nil && len(errLog) > 0 {
		if _, err := stderr.Write(errLog); err != nil {
			return fmt.Errorf("replaying stderr: %w", err)
		}
	}
	return nil
}

// readBlob returns a verified log blob, or nil when w is nil (nobody
// wants it).
func (c *Cache) readBlob(ctx context.Context, e *Entry, d Digest, size int64, w io.Writer) ([]byte, error) {
	if w == nil || size == 0 {
		if size == 0 && d != emptyDigest {
			return nil, c.corrupt(e, d, fmt.Errorf("empty log with digest %s: %w", d, ErrCorrupt))
		}
		return nil, nil
	}
	f, err := c.openBlob(ctx, d, size)
	if err != nil {
		return nil, c.corrupt(e, d, err)
	}
	defer f.Close()
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	if _, err := buf.ReadFrom(VerifyReader(f, d, size)); err != nil {
		return nil, c.corrupt(e, d, err)
	}
	return buf.Bytes(), nil
}

// emptyDigest is the SHA-256 of no bytes.
var emptyDigest = Sum(nil)

// openBlob opens a local blob, fetching it from the remote when missing.
func (c *Cache) openBlob(ctx context.Context, d Digest, size int64) (io.ReadCloser, error) {
	if size == 0 && d == emptyDigest {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	f, err := os.Open(c.local.Path(CAS, d))
	if err == nil {
		return f, nil
	}
	p, err := c.BlobPath(ctx, d, size)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// corrupt handles a blob that failed to verify: the local copy is removed
// (when its content is what is wrong) so that the next run repairs it, and
// the problem is reported.
func (c *Cache) corrupt(e *Entry, d Digest, err error) error {
	if errors.Is(err, ErrCorrupt) {
		c.dropIfCorrupt(d)
	}
	c.warn("cache entry %s: %v (treated as a miss)", e.Key, err)
	return fmt.Errorf("restoring entry %s: %w", e.Key, err)
}

type staged struct{ tmp, dst string }

// restoreOutputs stages every output in a temporary file and renames them
// into place once all have verified.
func (c *Cache) restoreOutputs(ctx context.Context, e *Entry, root string) error {
	if err := os.MkdirAll(root, 0o777); err != nil {
		return fmt.Errorf("restoring entry %s: %w", e.Key, err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("restoring entry %s: %w", e.Key, err)
	}
	defer r.Close()
	var rnd [6]byte
	rand.Read(rnd[:])
	prefix := ".cent-restore-" + hex.EncodeToString(rnd[:]) + "-"
	st := make([]staged, len(e.Outputs))
	cleanup := func() {
		for _, s := range st {
			if s.tmp != "" {
				r.Remove(s.tmp)
			}
		}
	}
	stage := func(i int) error {
		o := e.Outputs[i]
		dir, base := path.Split(o.Path)
		if dir != "" {
			if err := r.MkdirAll(dir, 0o777); err != nil {
				return fmt.Errorf("restoring %s: %w", o.Path, err)
			}
		}
		if c.upToDate(r, root, o) {
			return nil
		}
		tmp := dir + prefix + base
		st[i] = staged{tmp: tmp, dst: o.Path}
		return c.stageFile(ctx, e, r, o, tmp)
	}
	if len(e.Outputs) <= 2 {
		for i := range e.Outputs {
			if err = stage(i); err != nil {
				break
			}
		}
	} else {
		g, _ := errgroup.WithContext(ctx)
		g.SetLimit(4)
		for i := range e.Outputs {
			g.Go(func() error { return stage(i) })
		}
		err = g.Wait()
	}
	if err != nil {
		cleanup()
		return err
	}
	for i, s := range st {
		if s.tmp == "" {
			continue // already up to date
		}
		if err := r.Rename(s.tmp, s.dst); err != nil {
			cleanup()
			return fmt.Errorf("restoring entry %s: %s: %w", e.Key, e.Outputs[i].Path, err)
		}
		st[i].tmp = ""
		if fi, err := r.Lstat(s.dst); err == nil {
			if abs := absOutput(root, s.dst); abs != "" {
				c.writeStamp(abs, fi, e.Outputs[i].Digest)
			}
		}
	}
	return nil
}

// stageFile writes one verified output to tmp with its mode.
func (c *Cache) stageFile(ctx context.Context, e *Entry, r *os.Root, o Output, tmp string) error {
	src, err := c.openBlob(ctx, o.Digest, o.Size)
	if err != nil {
		return c.corrupt(e, o.Digest, fmt.Errorf("output %s: %w", o.Path, err))
	}
	defer src.Close()
	dst, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("restoring %s: %w", o.Path, err)
	}
	_, err = io.Copy(dst, VerifyReader(src, o.Digest, o.Size))
	if err == nil {
		err = dst.Chmod(o.Mode)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			return c.corrupt(e, o.Digest, fmt.Errorf("output %s: %w", o.Path, err))
		}
		return fmt.Errorf("restoring %s: %w", o.Path, err)
	}
	return nil
}

// upToDate reports whether root already holds o: a regular file (not a
// link) with its size, mode and content digest. A matching stamp answers
// without reading the file; otherwise hashing it in place costs far less
// than writing, renaming and unlinking one, and a task re-run over unchanged
// outputs is the common case.
func (c *Cache) upToDate(r *os.Root, root string, o Output) bool {
	fi, err := r.Lstat(o.Path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != o.Size || fi.Mode().Perm() != o.Mode {
		return false
	}
	abs := absOutput(root, o.Path)
	if abs != "" && c.stampMatches(abs, fi, o.Digest) {
		return true
	}
	f, err := r.Open(o.Path)
	if err != nil {
		return false
	}
	defer f.Close()
	d, n, err := SumReader(f)
	if err != nil || n != o.Size || d != o.Digest {
		return false
	}
	if fi2, err := f.Stat(); err == nil && abs != "" && sameStat(fi, fi2) {
		c.writeStamp(abs, fi2, d)
	}
	return true
}

// sameStat reports whether two stats of one file agree (it did not change
// while being hashed).
func sameStat(a, b os.FileInfo) bool {
	ka, ok1 := statKey(a)
	kb, ok2 := statKey(b)
	return ok1 && ok2 && ka == kb
}
