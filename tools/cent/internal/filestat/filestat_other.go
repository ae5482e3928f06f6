//go:build !unix

package filestat

import "io/fs"

func of(fs.FileInfo) (Key, bool) { return Key{}, false }
