// Package boundary enforces the dependency rules between projects: library
// types (an app may use any library; a feature library features, ui, data
// access and utils; ui only ui and utils; data access only data access and
// utils; utils only utils; no library an app), scopes (a project tagged
// scope:X may depend only on scope X or a shared scope) and tag rules from
// cent.yaml.
package boundary

import (
	"fmt"
	"sort"
	"strings"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// DefaultTypes are the library-type rules: each type and the types it may
// depend on. Untyped libraries (type lib, such as libs/platform/*) are
// infrastructure every library may use, and may use any library.
func DefaultTypes() map[workspace.ProjectType][]workspace.ProjectType {
	const (
		app, feature, ui, da, util, lib = workspace.TypeApp, workspace.TypeFeature, workspace.TypeUI,
			workspace.TypeDataAccess, workspace.TypeUtil, workspace.TypeLib
	)
	return map[workspace.ProjectType][]workspace.ProjectType{
		app:     {feature, ui, da, util, lib},
		feature: {feature, ui, da, util, lib},
		ui:      {ui, util, lib},
		da:      {da, util, lib},
		util:    {util, lib},
		lib:     {feature, ui, da, util, lib},
	}
}

// DefaultSharedScopes are the scopes any scope may depend on.
var DefaultSharedScopes = []string{"shared", "platform"}

// Violation is one import that breaks a rule.
type Violation struct {
	// Pos is "file:line" of the import, workspace-relative.
	Pos      string `json:"pos"`
	Importer string `json:"importer"`
	Imported string `json:"imported"`
	// Package and Import are the importing package and the imported path.
	Package string `json:"package"`
	Import  string `json:"import"`
	// Rule is "type", "scope" or "tag".
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

func (v Violation) String() string { return v.Pos + ": " + v.Message }

// Rules are the compiled rules of a workspace.
type Rules struct {
	types  map[workspace.ProjectType]map[workspace.ProjectType]bool
	shared map[string]bool
	tags   []workspace.TagRule
}

// NewRules compiles cent.yaml's boundaries over the defaults.
func NewRules(cfg workspace.Boundaries) *Rules {
	r := &Rules{types: map[workspace.ProjectType]map[workspace.ProjectType]bool{}, shared: map[string]bool{}}
	types := DefaultTypes()
	for k, v := range cfg.Types {
		types[k] = v
	}
	for k, list := range types {
		r.types[k] = map[workspace.ProjectType]bool{}
		for _, t := range list {
			r.types[k][t] = true
		}
	}
	shared := cfg.SharedScopes
	if shared == nil {
		shared = DefaultSharedScopes
	}
	for _, s := range shared {
		r.shared[s] = true
	}
	r.tags = cfg.Rules
	return r
}

// Allowed checks one project dependency and returns the broken rule and a
// message, or ok.
func (r *Rules) Allowed(from, to *workspace.Project) (rule, msg string, ok bool) {
	if !r.types[from.Type][to.Type] {
		return "type", fmt.Sprintf("%s (%s) must not import %s (%s)", from.Name, from.Type, to.Name, to.Type), false
	}
	if fs, ts := from.Scope(), to.Scope(); fs != "" && ts != "" && fs != ts && !r.shared[ts] {
		return "scope", fmt.Sprintf("%s (scope:%s) must not import %s (scope:%s)", from.Name, fs, to.Name, ts), false
	}
	for _, tr := range r.tags {
		if !from.HasTag(tr.Tag) {
			continue
		}
		hit := false
		for _, a := range tr.Allow {
			if to.HasTag(a) {
				hit = true
				break
			}
		}
		if !hit {
			return "tag", fmt.Sprintf("%s (%s) must not import %s (allowed: %s)", from.Name, tr.Tag, to.Name, strings.Join(tr.Allow, ", ")), false
		}
	}
	return "", "", true
}

// Check returns every violating import in the graph (test imports included),
// sorted by position. With projects given, only imports from those projects
// are checked.
func Check(g *graph.Graph, r *Rules, projects ...string) []Violation {
	only := map[string]bool{}
	for _, p := range projects {
		only[p] = true
	}
	ws := g.Workspace
	var out []Violation
	for _, p := range g.Packages {
		if len(only) > 0 && !only[p.Project] {
			continue
		}
		from, err := ws.Project(p.Project)
		if err != nil {
			continue
		}
		for _, imp := range append(append([]string(nil), p.Imports...), p.TestImports...) {
			q, ok := g.Package(imp)
			if !ok || q.Project == p.Project {
				continue
			}
			to, err := ws.Project(q.Project)
			if err != nil {
				continue
			}
			rule, msg, ok := r.Allowed(from, to)
			if ok {
				continue
			}
			positions := p.ImportPos[imp]
			if len(positions) == 0 {
				positions = []string{p.Dir}
			}
			for _, pos := range positions {
				out = append(out, Violation{Pos: pos, Importer: from.Name, Imported: to.Name, Package: p.ImportPath, Import: imp, Rule: rule, Message: msg})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pos < out[j].Pos })
	return out
}
