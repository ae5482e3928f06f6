package scaffold

import "errors"

// ErrInvalidName is returned for a name, scope or type that breaks the
// naming rules; the message says which rule.
var ErrInvalidName = errors.New("invalid name")

// ErrExists is returned when the project's directory or name is taken.
var ErrExists = errors.New("already exists")

// ErrNoRuntime is returned by NewApp in a workspace without the chassis
// runtime (RuntimeDir).
var ErrNoRuntime = errors.New("no service runtime")
