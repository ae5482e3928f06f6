package graphview

import "errors"

// Sentinel errors of the renderers; wrapped errors name the project or edge.
var (
	// ErrDuplicateProject reports two projects with the same name.
	ErrDuplicateProject = errors.New("duplicate project")
	// ErrUnknownProject reports an edge or cycle naming no project.
	ErrUnknownProject = errors.New("unknown project")
	// ErrEdgeKind reports an edge kind other than import, test-import and
	// implicit.
	ErrEdgeKind = errors.New("unknown edge kind")
)
