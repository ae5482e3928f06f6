package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/centuria/centuria/tools/cent/internal/filestat"
)

// Output stamps remember, per output file, the stat of the file as cent
// last wrote or hashed it (size, modification and change times, inode)
// together with its digest. A restore over an output whose stat still
// matches needs one stat and one small read instead of hashing the file;
// anything else (a stamp that is missing, unreadable or stale) falls back to
// hashing, so a stamp can only save work, never cause a wrong answer. The
// change time cannot be set by tools, so any rewrite of the file invalidates
// its stamp. Stamps live under <cache dir>/stamps, keyed by the file's
// absolute path; they are written atomically and are safe to share between
// processes (a lost update only costs a hash).

// stampKey is the stat part of a stamp.
type stampKey = filestat.Key

func statKey(fi fs.FileInfo) (stampKey, bool) { return filestat.Of(fi) }

func (c *Cache) stampPath(abs string) string {
	h := sha256.Sum256([]byte(abs))
	name := hex.EncodeToString(h[:])
	return filepath.Join(c.local.root, "stamps", name[:2], name)
}

// stampMatches reports whether the stamp of abs says it holds digest d and
// its stat is still fi's.
func (c *Cache) stampMatches(abs string, fi fs.FileInfo, d Digest) bool {
	k, ok := statKey(fi)
	if !ok {
		return false
	}
	data, err := os.ReadFile(c.stampPath(abs))
	if err != nil {
		return false
	}
	return string(data) == formatStamp(k, d)
}

// writeStamp records that abs, with stat fi, holds digest d. Errors are
// ignored: a missing stamp only costs a hash later.
func (c *Cache) writeStamp(abs string, fi fs.FileInfo, d Digest) {
	k, ok := statKey(fi)
	if !ok {
		return
	}
	p := c.stampPath(abs)
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-")
	if err != nil {
		return
	}
	_, err = tmp.WriteString(formatStamp(k, d))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil || os.Rename(tmp.Name(), p) != nil {
		os.Remove(tmp.Name())
	}
}

func formatStamp(k stampKey, d Digest) string {
	return fmt.Sprintf("v1 %d %d %d %d %d %s", k.Size, k.Mtime, k.Ctime, k.Ino, k.Dev, d)
}

// absOutput returns the absolute path of an output under root.
func absOutput(root, rel string) string {
	abs, err := filepath.Abs(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return ""
	}
	return abs
}
