//go:build !unix

package cache

import "io/fs"

// statKey is unavailable here: outputs are always hashed.
func statKey(fs.FileInfo) (stampKey, bool) { return stampKey{}, false }
