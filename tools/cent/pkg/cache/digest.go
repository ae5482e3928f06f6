package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// Digest is a SHA-256 hash: the address of a blob in the CAS namespace or
// the key of an action entry in the AC namespace.
type Digest [32]byte

// String returns the digest as 64 lower-case hex digits.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// IsZero reports whether d is the zero digest, which names no object.
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText encodes the digest as hex.
func (d Digest) MarshalText() ([]byte, error) {
	b := make([]byte, hex.EncodedLen(len(d)))
	hex.Encode(b, d[:])
	return b, nil
}

// UnmarshalText decodes a hex digest; it returns an error wrapping
// ErrCorrupt when text is not 64 hex digits.
func (d *Digest) UnmarshalText(text []byte) error {
	p, err := ParseDigest(string(text))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// ParseDigest parses 64 hex digits. Errors wrap ErrCorrupt.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != hex.EncodedLen(len(d)) {
		return d, fmt.Errorf("parsing digest %q: want %d hex digits, got %d: %w", s, hex.EncodedLen(len(d)), len(s), ErrCorrupt)
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, fmt.Errorf("parsing digest %q: %v: %w", s, err, ErrCorrupt)
	}
	return d, nil
}

// Sum returns the SHA-256 digest of b.
func Sum(b []byte) Digest { return sha256.Sum256(b) }

// Hasher accumulates a digest; it is a hash.Hash whose Digest method
// returns the typed result.
type Hasher struct{ hash.Hash }

// NewHasher returns a SHA-256 Hasher.
func NewHasher() *Hasher { return &Hasher{sha256.New()} }

// Digest returns the digest of everything written so far.
func (h *Hasher) Digest() Digest {
	var d Digest
	h.Sum(d[:0])
	return d
}

// SumReader returns the digest and length of everything r yields.
func SumReader(r io.Reader) (Digest, int64, error) {
	h := NewHasher()
	n, err := io.Copy(h, r)
	return h.Digest(), n, err
}
