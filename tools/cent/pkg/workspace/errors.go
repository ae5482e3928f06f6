package workspace

import (
	"errors"
	"fmt"
)

// ErrNoWorkspace is returned by Find when no cent.yaml, go.work or go.mod
// exists in the start directory or any parent.
var ErrNoWorkspace = errors.New("no workspace found (no cent.yaml, go.work or go.mod in this directory or a parent)")

// ErrUnknownProject is returned when a name does not match any project.
var ErrUnknownProject = errors.New("unknown project")

// ConfigError is an error in a configuration file, located by file and line.
type ConfigError struct {
	File string // path relative to the workspace root, or as given
	Line int    // 1-based; 0 when unknown
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}
