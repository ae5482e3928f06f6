package pathnorm

import "errors"

// Sentinel errors returned by Canonical; each wraps ErrRejected.
var (
	// ErrRejected is wrapped by every rejection: callers answer 400.
	ErrRejected       = errors.New("path rejected")
	ErrNotAbsolute    = reject("path does not start with /")
	ErrBadEscape      = reject("malformed percent-encoding")
	ErrEncodedSlash   = reject("encoded slash")
	ErrBackslash      = reject("backslash")
	ErrNUL            = reject("NUL or control character")
	ErrDotSegment     = reject("dot segment")
	ErrDoubleEncoding = reject("encoded percent sign (double encoding)")
	ErrInvalidUTF8    = reject("invalid UTF-8")
)

type rejectErr string

func (e rejectErr) Error() string        { return "path rejected: " + string(e) }
func (e rejectErr) Is(target error) bool { return target == ErrRejected }

func reject(msg string) error { return rejectErr(msg) }
