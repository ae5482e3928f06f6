package cache

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
)

// runsDir holds the "last run" index: one small file per task, named by
// the SHA-256 of the task ID, holding the ID and the key of its last run.
const runsDir = "runs"

// RecordRun remembers key as the cache key of taskID's latest run, for
// LastRun. The index file is replaced atomically.
func (c *Cache) RecordRun(ctx context.Context, taskID string, key Digest) error {
	if taskID == "" || strings.ContainsAny(taskID, "\n\x00") {
		return fmt.Errorf("recording run: task ID %q: %w", taskID, ErrInvalidOption)
	}
	data := taskID + "\n" + key.String() + "\n"
	f, err := os.CreateTemp(c.runPath(""), ".tmp-*")
	if err != nil {
		return fmt.Errorf("recording run of %s: %w", taskID, err)
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), c.runPath(taskID))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("recording run of %s: %w", taskID, err)
	}
	return nil
}

// LastRun returns the entry of taskID's run recorded last by RecordRun.
// Only the entry is read and verified, not its blobs, so its outputs may
// have been evicted. Errors wrap ErrNotFound when no run was recorded or
// its entry is gone, and ErrCorrupt or ErrBadSignature when it does not
// verify.
func (c *Cache) LastRun(ctx context.Context, taskID string) (*Entry, error) {
	key, err := c.LastRunKey(taskID)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(c.local.Path(AC, key))
	if err != nil {
		return nil, fmt.Errorf("last run of %s: entry %s: %w", taskID, key, ErrNotFound)
	}
	e, err := DecodeEntry(data, key, c.key)
	if err != nil {
		return nil, fmt.Errorf("last run of %s: %w", taskID, err)
	}
	return e, nil
}

// LastRunKey returns the key recorded last for taskID. Errors wrap
// ErrNotFound or ErrCorrupt.
func (c *Cache) LastRunKey(taskID string) (Digest, error) {
	data, err := os.ReadFile(c.runPath(taskID))
	if err != nil {
		return Digest{}, fmt.Errorf("last run of %s: %w", taskID, ErrNotFound)
	}
	id, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok || string(id) != taskID {
		return Digest{}, fmt.Errorf("last run of %s: index file names another task: %w", taskID, ErrCorrupt)
	}
	key, err := ParseDigest(strings.TrimSuffix(string(rest), "\n"))
	if err != nil {
		return Digest{}, fmt.Errorf("last run of %s: %w", taskID, err)
	}
	return key, nil
}

// runPath returns the index file of taskID, or the index directory when
// taskID is empty.
func (c *Cache) runPath(taskID string) string {
	dir := c.local.root + string(os.PathSeparator) + runsDir
	if taskID == "" {
		return dir
	}
	return dir + string(os.PathSeparator) + Sum([]byte(taskID)).String()
}
