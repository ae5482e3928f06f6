package deploy

import (
	"errors"
	"fmt"
)

// ErrApplicationSet is returned when the ApplicationSet file cannot be read
// or lacks what the preview needs.
var ErrApplicationSet = errors.New("invalid ApplicationSet")

// ErrUnsupported is returned for ApplicationSet or Application features the
// offline preview does not implement (other generators, other repositories,
// multiple sources, $ref value files).
var ErrUnsupported = errors.New("not supported by the offline preview")

// ErrTemplate is returned when the ApplicationSet template fails to render
// for a generated parameter set.
var ErrTemplate = errors.New("ApplicationSet template")

// ErrValues is returned when an app's values break the chart's schema or
// cannot be read; the error joins one *ValuesError per problem.
var ErrValues = errors.New("invalid values")

// ErrRender is returned when the chart fails to load or render.
var ErrRender = errors.New("rendering chart")

// ErrUnknownApp is returned when a requested application is not generated.
var ErrUnknownApp = errors.New("unknown application")

// ValuesError is one schema violation, located in the values file (or other
// source) that set the offending key.
type ValuesError struct {
	// File is the workspace-relative values file, or a description of the
	// source such as "spec.source.helm.valuesObject".
	File string
	// Line is 1-based; 0 when unknown.
	Line int
	// Key is the dotted path of the offending key ("image.digests").
	Key string
	// Msg says what is wrong.
	Msg string
}

func (e *ValuesError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
}

// Unwrap makes every ValuesError match ErrValues.
func (e *ValuesError) Unwrap() error { return ErrValues }
