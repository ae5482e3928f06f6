package affected

import "errors"

// ErrNotGitRepo is returned when the workspace is not inside a git work tree.
var ErrNotGitRepo = errors.New("not a git repository (affected needs git history)")

// ErrUnknownRef is returned when a base or head revision does not resolve to a
// commit; in a shallow clone the message says how to fetch more history.
var ErrUnknownRef = errors.New("unknown git revision")
