package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/sync/errgroup"
)

// Result is what a finished task produced, as handed to Save.
type Result struct {
	ExitCode       int
	Duration       time.Duration
	Stdout, Stderr []byte
	// Root is the directory output paths are relative to.
	Root string
	// Outputs are slash-separated paths or globs relative to Root, with
	// path.Match syntax plus ** for any number of directories and {a,b}
	// alternatives. A directory is saved with every regular file under it; a path
	// or glob that matches nothing is skipped with a warning.
	Outputs []string
	// Inputs is the key manifest, kept in the entry for explanations.
	Inputs map[string]string
}

// Save stores r under key: every output file and both logs go into the
// local CAS, the entry into the local AC, and then everything into the
// remote (unless it is read-only or down; remote failures only warn).
// Symbolic links are followed; other non-regular files are skipped with a
// warning. Errors wrap ErrInvalidOption for an output pattern that leaves
// Root.
func (c *Cache) Save(ctx context.Context, key Digest, r Result) (*Entry, error) {
	files, err := c.expandOutputs(r.Root, r.Outputs)
	if err != nil {
		return nil, err
	}
	e := &Entry{
		Key:      key,
		ExitCode: r.ExitCode,
		Duration: r.Duration,
		Created:  c.now().UTC(),
		Inputs:   r.Inputs,
		Outputs:  make([]Output, len(files)),
	}
	if e.Stdout, e.StdoutSize, err = c.local.ingest(bytes.NewReader(r.Stdout)); err != nil {
		return nil, err
	}
	if e.Stderr, e.StderrSize, err = c.local.ingest(bytes.NewReader(r.Stderr)); err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, rel := range files {
		g.Go(func() error {
			o, err := c.ingestFile(gctx, r.Root, rel)
			e.Outputs[i] = o
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := c.SaveEntry(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// ingestFile copies one output file into the CAS.
func (c *Cache) ingestFile(ctx context.Context, root, rel string) (Output, error) {
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return Output{}, fmt.Errorf("saving output %s: %w", rel, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Output{}, fmt.Errorf("saving output %s: %w", rel, err)
	}
	d, n, err := c.local.ingest(f)
	if err != nil {
		return Output{}, fmt.Errorf("saving output %s: %w", rel, err)
	}
	if fi2, err := f.Stat(); err == nil && sameStat(fi, fi2) {
		if abs := absOutput(root, rel); abs != "" {
			c.writeStamp(abs, fi2, d)
		}
	}
	return Output{Path: rel, Mode: fileMode(fi), Size: n, Digest: d}, nil
}

// expandOutputs turns output paths and globs into a sorted list of regular
// files relative to root.
func (c *Cache) expandOutputs(root string, patterns []string) ([]string, error) {
	set := map[string]bool{}
	for _, p := range patterns {
		clean := path.Clean(filepath.ToSlash(p))
		if !ValidOutputPath(clean) {
			return nil, fmt.Errorf("output %q: not a relative path inside %s: %w", p, root, ErrInvalidOption)
		}
		var matches []string
		if strings.ContainsAny(clean, "*?[{") {
			m, err := doublestar.Glob(os.DirFS(root), clean)
			if err != nil {
				return nil, fmt.Errorf("output %q: %v: %w", p, err, ErrInvalidOption)
			}
			for _, rel := range m {
				matches = append(matches, filepath.Join(root, filepath.FromSlash(rel)))
			}
		} else if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(clean))); err == nil {
			matches = []string{filepath.Join(root, filepath.FromSlash(clean))}
		}
		if len(matches) == 0 {
			c.warn("output %q matched no files under %s", p, root)
		}
		for _, m := range matches {
			if err := c.addOutput(root, m, set); err != nil {
				return nil, err
			}
		}
	}
	files := make([]string, 0, len(set))
	for f := range set {
		files = append(files, f)
	}
	sort.Strings(files)
	return files, nil
}

// addOutput adds the regular file m, or every regular file under the
// directory m, to set.
func (c *Cache) addOutput(root, m string, set map[string]bool) error {
	return filepath.WalkDir(m, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("saving output %s: %w", p, err)
		}
		fi, err := os.Stat(p) // follow symbolic links
		if err != nil {
			return fmt.Errorf("saving output %s: %w", p, err)
		}
		if fi.IsDir() {
			if de.Type()&fs.ModeSymlink != 0 {
				c.warn("output %s is a symbolic link to a directory; skipped", p)
			}
			return nil
		}
		if !fi.Mode().IsRegular() {
			c.warn("output %s is not a regular file; skipped", p)
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || !ValidOutputPath(filepath.ToSlash(rel)) {
			return fmt.Errorf("output %s is outside %s: %w", p, root, ErrInvalidOption)
		}
		set[filepath.ToSlash(rel)] = true
		return nil
	})
}

// ingest copies r into the CAS while hashing it, in one pass, and returns
// its digest and length.
func (s *DirStore) ingest(r io.Reader) (Digest, int64, error) {
	dir := filepath.Join(s.root, string(CAS))
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return Digest{}, 0, fmt.Errorf("writing blob: %w", err)
	}
	tmp := f.Name()
	h := NewHasher()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	d := h.Digest()
	dst := s.Path(CAS, d)
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
		if errors.Is(err, fs.ErrNotExist) {
			if err = os.MkdirAll(filepath.Dir(dst), 0o777); err == nil {
				err = os.Rename(tmp, dst)
			}
		}
	}
	if err != nil {
		os.Remove(tmp)
		return Digest{}, 0, fmt.Errorf("writing blob: %w", err)
	}
	return d, n, nil
}

// bytesReader returns a reader over b.
func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
