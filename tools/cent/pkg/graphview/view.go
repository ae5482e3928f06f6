// Package graphview renders a project graph for people: Graphviz DOT, and a
// self-contained interactive HTML page (no network, inline script and style)
// that stays usable with thousands of projects.
//
// The input is this package's own View type, so the renderers do not depend
// on how the graph was computed; its JSON form is what `--json` prints.
package graphview

import (
	"encoding/json"
	"fmt"
	"io"
)

// Edge kinds.
const (
	// EdgeImport is an import by non-test code; the zero Kind means import.
	EdgeImport = "import"
	// EdgeTestImport is an import by test code only.
	EdgeTestImport = "test-import"
	// EdgeImplicit is a dependency declared in configuration rather than
	// found in code.
	EdgeImplicit = "implicit"
)

// View is a project graph to render.
type View struct {
	// Title names the graph, e.g. the workspace or the command that made it.
	Title string `json:"title,omitempty"`
	// Projects are the graph's nodes; names are unique.
	Projects []Node `json:"projects"`
	// Edges point from a project to a project it depends on.
	Edges []Edge `json:"edges"`
	// Cycles lists dependency cycles, each as the project names along it.
	Cycles [][]string `json:"cycles,omitempty"`
}

// Node is one project.
type Node struct {
	// Name is the project name. It is untrusted text: renderers escape it.
	Name string `json:"name"`
	// Root is the project directory relative to the workspace.
	Root string `json:"root,omitempty"`
	// Type is the project type (app, feature, ui, data-access, util or any
	// other); it picks the colour.
	Type string `json:"type,omitempty"`
	// Tags are the project's tags, e.g. scope:billing.
	Tags []string `json:"tags,omitempty"`
	// Affected marks a project affected by the change under review.
	Affected bool `json:"affected,omitempty"`
	// Broken marks a project that failed to load or breaks a rule.
	Broken bool `json:"broken,omitempty"`
}

// Edge is a dependency of From on To.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	// Kind is EdgeImport (or empty), EdgeTestImport or EdgeImplicit.
	Kind string `json:"kind,omitempty"`
}

// kindOf returns the edge's kind with the default applied.
func (e Edge) kindOf() string {
	if e.Kind == "" {
		return EdgeImport
	}
	return e.Kind
}

// Validate reports the first problem of v: a repeated project name
// (ErrDuplicateProject), an edge or cycle naming no project
// (ErrUnknownProject) or an unknown edge kind (ErrEdgeKind).
func (v View) Validate() error {
	seen := make(map[string]bool, len(v.Projects))
	for i, n := range v.Projects {
		if seen[n.Name] {
			return fmt.Errorf("projects[%d] %q: %w", i, n.Name, ErrDuplicateProject)
		}
		seen[n.Name] = true
	}
	for i, e := range v.Edges {
		switch {
		case !seen[e.From]:
			return fmt.Errorf("edges[%d] from %q: %w", i, e.From, ErrUnknownProject)
		case !seen[e.To]:
			return fmt.Errorf("edges[%d] to %q: %w", i, e.To, ErrUnknownProject)
		}
		switch e.kindOf() {
		case EdgeImport, EdgeTestImport, EdgeImplicit:
		default:
			return fmt.Errorf("edges[%d] kind %q: %w", i, e.Kind, ErrEdgeKind)
		}
	}
	for i, c := range v.Cycles {
		for _, n := range c {
			if !seen[n] {
				return fmt.Errorf("cycles[%d] %q: %w", i, n, ErrUnknownProject)
			}
		}
	}
	return nil
}

// RenderJSON writes v as indented JSON, after validating it.
func RenderJSON(w io.Writer, v View) error {
	if err := v.Validate(); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing graph JSON: %w", err)
	}
	return nil
}

// cycleEdges returns the set of "from\x00to" pairs along the cycles.
func cycleEdges(cycles [][]string) map[[2]string]bool {
	out := make(map[[2]string]bool)
	for _, c := range cycles {
		if len(c) > 1 && c[0] == c[len(c)-1] {
			c = c[:len(c)-1]
		}
		for i := range c {
			out[[2]string{c[i], c[(i+1)%len(c)]}] = true
		}
	}
	return out
}
