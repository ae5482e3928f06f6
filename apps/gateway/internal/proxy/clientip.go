package proxy

import (
	"net/netip"
	"strings"
)

// TrustedProxies decides which peers' X-Forwarded-For is believed.
type TrustedProxies []netip.Prefix

func (tp TrustedProxies) trusted(a netip.Addr) bool {
	for _, p := range tp {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the client address of a request from peer (RemoteAddr)
// and its X-Forwarded-For values. XFF is used only when the peer is trusted;
// it is walked from the right, skipping trusted hops, and the first
// untrusted address is the client. A malformed entry stops the walk at the
// last good hop, so garbage can never choose the client IP.
func (tp TrustedProxies) ClientIP(peer netip.Addr, xff []string) netip.Addr {
	if len(tp) == 0 || len(xff) == 0 || !tp.trusted(peer) {
		return peer
	}
	client := peer
	for i := len(xff) - 1; i >= 0; i-- {
		line := xff[i]
		for line != "" {
			j := strings.LastIndexByte(line, ',')
			part := strings.TrimSpace(line[j+1:])
			if j < 0 {
				line = ""
			} else {
				line = line[:j]
			}
			a, err := netip.ParseAddr(part)
			if err != nil {
				return client
			}
			a = a.Unmap()
			client = a
			if !tp.trusted(a) {
				return a
			}
		}
	}
	return client
}
