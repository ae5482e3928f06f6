//go:build unix

package proxy

import (
	"net"
	"syscall"
)

// alive reports whether a pooled connection is still usable: a
// non-blocking peek must find nothing to read. EOF means the upstream closed
// it while idle; bytes mean it sent something unasked; either way it is
// dead. One recvfrom, done only for connections idle for a while.
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = n < 0 && (rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK)
		return true // never wait
	})
	return err == nil && ok
}
