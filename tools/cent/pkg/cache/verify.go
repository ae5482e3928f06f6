package cache

import (
	"fmt"
	"io"
)

// verifyingReader hashes what it reads and, at the end of the stream,
// replaces io.EOF with an ErrCorrupt error when the bytes do not match the
// expected digest and size.
type verifyingReader struct {
	r    io.Reader
	h    *Hasher
	want Digest
	size int64 // expected size, or -1 when unknown
	n    int64
	err  error
}

// VerifyReader returns a reader over r that fails with an error wrapping
// ErrCorrupt instead of returning io.EOF when the stream's SHA-256 is not
// want or, when size >= 0, its length is not size. Reading past size also
// fails, so a stream that never ends cannot exhaust memory or disk.
func VerifyReader(r io.Reader, want Digest, size int64) io.Reader {
	return &verifyingReader{r: r, h: NewHasher(), want: want, size: size}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if v.size >= 0 && int64(len(p)) > v.size-v.n+1 {
		p = p[:v.size-v.n+1]
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		v.err = fmt.Errorf("blob %s: longer than the recorded %d bytes: %w", v.want, v.size, ErrCorrupt)
		return n, v.err
	}
	if err == io.EOF {
		switch {
		case v.size >= 0 && v.n != v.size:
			v.err = fmt.Errorf("blob %s: %d bytes, want %d: %w", v.want, v.n, v.size, ErrCorrupt)
		case v.h.Digest() != v.want:
			v.err = fmt.Errorf("blob %s: content hashes to %s: %w", v.want, v.h.Digest(), ErrCorrupt)
		default:
			v.err = io.EOF
		}
		return n, v.err
	}
	if err != nil {
		v.err = err
	}
	return n, err
}
