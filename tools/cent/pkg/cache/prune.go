package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Stats describes the local cache directory.
type Stats struct {
	Dir        string
	Entries    int   // action entries (AC)
	EntryBytes int64 // their total size
	Blobs      int   // content blobs (CAS)
	BlobBytes  int64 // their total size
	// Oldest and Newest are the least and most recent use times of
	// objects; zero when the cache is empty.
	Oldest, Newest time.Time
}

// Bytes returns the total size of the cache's objects.
func (s Stats) Bytes() int64 { return s.EntryBytes + s.BlobBytes }

// PruneOptions selects what Prune evicts. Zero fields impose no limit.
type PruneOptions struct {
	// MaxAge evicts objects not used for longer than this.
	MaxAge time.Duration
	// MaxSize then evicts least recently used objects until the cache
	// holds at most this many bytes.
	MaxSize int64
	// DryRun counts what would be evicted without removing anything.
	DryRun bool
}

// PruneResult reports what Prune evicted and what is left.
type PruneResult struct {
	RemovedEntries, RemovedBlobs int
	RemovedBytes                 int64
	After                        Stats
}

// object is one file of the local store.
type object struct {
	path  string
	ns    Namespace
	size  int64
	mtime time.Time
}

// Stats walks the local cache directory.
func (c *Cache) Stats(ctx context.Context) (Stats, error) {
	objs, err := c.objects(ctx, false)
	if err != nil {
		return Stats{}, err
	}
	return c.stats(objs), nil
}

func (c *Cache) stats(objs []object) Stats {
	s := Stats{Dir: c.local.root}
	for _, o := range objs {
		if o.ns == AC {
			s.Entries++
			s.EntryBytes += o.size
		} else {
			s.Blobs++
			s.BlobBytes += o.size
		}
		if s.Oldest.IsZero() || o.mtime.Before(s.Oldest) {
			s.Oldest = o.mtime
		}
		if o.mtime.After(s.Newest) {
			s.Newest = o.mtime
		}
	}
	return s
}

// Prune evicts objects from the local cache: first those unused for longer
// than MaxAge, then the least recently used until the total is at most
// MaxSize. An entry whose blob was evicted becomes a miss. Temporary files
// left by crashed writers are removed too. Prune is safe while other
// processes use the cache: they see evicted objects as misses.
func (c *Cache) Prune(ctx context.Context, o PruneOptions) (PruneResult, error) {
	if o.MaxAge < 0 || o.MaxSize < 0 {
		return PruneResult{}, fmt.Errorf("prune: negative limit: %w", ErrInvalidOption)
	}
	objs, err := c.objects(ctx, !o.DryRun)
	if err != nil {
		return PruneResult{}, err
	}
	// Least recently used first; entries before blobs of the same age, so
	// an entry never outlives the blobs it needs for long.
	sort.Slice(objs, func(i, j int) bool {
		if !objs[i].mtime.Equal(objs[j].mtime) {
			return objs[i].mtime.Before(objs[j].mtime)
		}
		return objs[i].ns == AC && objs[j].ns == CAS
	})
	var total int64
	for _, ob := range objs {
		total += ob.size
	}
	now := c.now()
	var res PruneResult
	kept := objs[:0:0]
	for _, ob := range objs {
		evict := o.MaxAge > 0 && now.Sub(ob.mtime) > o.MaxAge
		evict = evict || (o.MaxSize > 0 && total > o.MaxSize)
		if !evict {
			kept = append(kept, ob)
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if !o.DryRun {
			if err := os.Remove(ob.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return res, fmt.Errorf("prune: %w", err)
			}
		}
		total -= ob.size
		res.RemovedBytes += ob.size
		if ob.ns == AC {
			res.RemovedEntries++
		} else {
			res.RemovedBlobs++
		}
	}
	res.After = c.stats(kept)
	return res, nil
}

// staleTemp is how old a temporary file must be before Prune removes it.
const staleTemp = time.Hour

// objects lists the local store's objects; with cleanTemps it also removes
// stale temporary files.
func (c *Cache) objects(ctx context.Context, cleanTemps bool) ([]object, error) {
	var objs []object
	now := c.now()
	for _, ns := range []Namespace{AC, CAS} {
		root := filepath.Join(c.local.root, string(ns))
		err := filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if de.IsDir() {
				return ctx.Err()
			}
			fi, err := de.Info()
			if err != nil {
				return nil // removed meanwhile
			}
			if strings.HasPrefix(de.Name(), ".tmp-") {
				if cleanTemps && now.Sub(fi.ModTime()) > staleTemp {
					os.Remove(p)
				}
				return nil
			}
			if _, err := ParseDigest(de.Name()); err != nil {
				return nil // not ours
			}
			objs = append(objs, object{path: p, ns: ns, size: fi.Size(), mtime: fi.ModTime()})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading cache directory: %w", err)
		}
	}
	return objs, nil
}
