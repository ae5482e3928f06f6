//go:build unix

package filestat

import (
	"io/fs"
	"syscall"
)

func of(fi fs.FileInfo) (Key, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return Key{}, false
	}
	mt, ct := st.Mtim, st.Ctim
	return Key{
		Size:  fi.Size(),
		Mtime: mt.Sec*1e9 + mt.Nsec,
		Ctime: ct.Sec*1e9 + ct.Nsec,
		Ino:   uint64(st.Ino),
		Dev:   uint64(st.Dev),
	}, true
}
