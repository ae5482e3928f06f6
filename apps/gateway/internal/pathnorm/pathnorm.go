// Package pathnorm turns a request path into the one canonical form that
// routing matches on and upstreams receive. Anything ambiguous is rejected
// rather than guessed at, so that the gateway and the upstream can never
// disagree about which resource a request names.
package pathnorm

import (
	"strings"
	"unicode/utf8"
)

// Canonical returns the decoded canonical form of escaped, the request path
// as the client wrote it (URL.EscapedPath). It decodes percent-escapes once,
// merges repeated slashes, and rejects encoded "/" or "\", backslashes, NUL
// and control characters, "." and ".." segments (also as "..;" path
// parameters and in encoded form), encoded "%" and invalid UTF-8. A path that
// needs no change is returned as is, without allocating.
func Canonical(escaped string) (string, error) {
	if escaped == "" || escaped[0] != '/' {
		return "", ErrNotAbsolute
	}
	if clean(escaped) {
		return escaped, nil
	}
	return slow(escaped)
}

// clean reports whether s is already canonical: only unreserved and safe
// characters, no escapes, no empty or dot segments.
func clean(s string) bool {
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' {
			if prev == '/' {
				return false
			}
		} else if c == '.' {
			if prev == '/' {
				return false
			}
		} else if c <= 0x20 || c >= 0x7f || c == '%' || c == '\\' || c == ';' {
			return false
		}
		prev = c
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func slow(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			if i+2 >= len(s) {
				return "", ErrBadEscape
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", ErrBadEscape
			}
			d := hi<<4 | lo
			switch {
			case d == '/':
				return "", ErrEncodedSlash
			case d == '\\':
				return "", ErrBackslash
			case d == '%':
				return "", ErrDoubleEncoding
			case d < 0x20 || d == 0x7f:
				return "", ErrNUL
			}
			b.WriteByte(d)
			i += 2
		case '\\':
			return "", ErrBackslash
		default:
			if c < 0x20 || c == 0x7f {
				return "", ErrNUL
			}
			b.WriteByte(c)
		}
	}
	dec := b.String()
	if !utf8.ValidString(dec) {
		return "", ErrInvalidUTF8
	}
	return segments(dec)
}

// segments merges repeated slashes and rejects dot segments, including
// those hidden behind a ";" path parameter such as "..;x".
func segments(dec string) (string, error) {
	var b strings.Builder
	b.Grow(len(dec))
	rest := dec
	for len(rest) > 0 {
		// rest starts with '/'.
		j := 1
		for j < len(rest) && rest[j] != '/' {
			j++
		}
		seg := rest[1:j]
		rest = rest[j:]
		if seg == "" {
			if len(rest) == 0 {
				b.WriteByte('/') // keep one trailing slash
			}
			continue
		}
		name, _, _ := strings.Cut(seg, ";")
		if name == "." || name == ".." || strings.TrimSpace(name) == "." || strings.TrimSpace(name) == ".." {
			return "", ErrDotSegment
		}
		b.WriteByte('/')
		b.WriteString(seg)
	}
	if b.Len() == 0 {
		return "/", nil
	}
	return b.String(), nil
}
