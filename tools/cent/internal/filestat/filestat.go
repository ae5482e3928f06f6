// Package filestat gives a file's stat fingerprint: size, modification and
// change times (nanoseconds), inode and device. Any rewrite of a file
// changes it (the change time cannot be set by tools), so an equal
// fingerprint means unchanged content for caches that want to skip reading
// the file.
package filestat

import "io/fs"

// Key is a stat fingerprint.
type Key struct {
	Size, Mtime, Ctime int64
	Ino, Dev           uint64
}

// Of returns the fingerprint of fi, or false where the platform gives none
// (callers must then read the file).
func Of(fi fs.FileInfo) (Key, bool) { return of(fi) }
