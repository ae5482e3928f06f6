//go:build unix

package cache

import (
	"io/fs"
	"syscall"
)

func statKey(fi fs.FileInfo) (stampKey, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stampKey{}, false
	}
	mt, ct := st.Mtim, st.Ctim
	return stampKey{
		size:  fi.Size(),
		mtime: mt.Sec*1e9 + mt.Nsec,
		ctime: ct.Sec*1e9 + ct.Nsec,
		ino:   uint64(st.Ino),
		dev:   uint64(st.Dev),
	}, true
}
