package cache

import "errors"

// Sentinel errors returned by the cache and its stores. Callers test them
// with errors.Is; every returned error wraps at most one of them with context.
var (
	// ErrNotFound reports a miss: the store holds no object under the digest.
	ErrNotFound = errors.New("cache: not found")

	// ErrCorrupt reports an object whose bytes do not hash to its digest, an
	// entry that does not decode, or a blob that is shorter or longer than
	// recorded. The cache treats it as a miss.
	ErrCorrupt = errors.New("cache: corrupt object")

	// ErrBadSignature reports an action entry that is unsigned or signed
	// with another key while a signing key is configured.
	ErrBadSignature = errors.New("cache: bad entry signature")

	// ErrReadOnly reports a write to a store opened read-only.
	ErrReadOnly = errors.New("cache: store is read-only")

	// ErrInvalidOption reports a bad option or store URL.
	ErrInvalidOption = errors.New("cache: invalid option")

	// ErrRejected reports a remote that refused one object (too large, a
	// bad request) while otherwise working; unlike a transport or
	// authentication failure it does not make the cache stop using the
	// remote.
	ErrRejected = errors.New("cache: remote rejected the object")

	// ErrUnknownScheme reports a remote cache URL whose scheme has no
	// registered backend.
	ErrUnknownScheme = errors.New("cache: unknown remote cache scheme")
)

// errRemoteOff stops an upload when the remote is read-only or down.
var errRemoteOff = errors.New("cache: remote is read-only or down")
