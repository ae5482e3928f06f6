package task

import "errors"

// ErrCycle is returned by Plan when dependsOn edges form a cycle.
var ErrCycle = errors.New("task dependency cycle")

// ErrUnknownTarget is returned by Plan when no selected project has a
// requested target.
var ErrUnknownTarget = errors.New("unknown target")
