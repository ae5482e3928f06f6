package workspace

import (
	"fmt"
	"path"
	"strings"
)

// ProjectType is a project's kind: an app, a typed library or a plain one.
type ProjectType string

// The project types. Typed libraries take their type from the directory-name
// prefix (feature-orders is a feature library) or from project.yaml.
const (
	TypeApp        ProjectType = "app"
	TypeFeature    ProjectType = "feature"
	TypeUI         ProjectType = "ui"
	TypeDataAccess ProjectType = "data-access"
	TypeUtil       ProjectType = "util"
	TypeLib        ProjectType = "lib" // a library with no type
)

// Types lists every project type.
var Types = []ProjectType{TypeApp, TypeFeature, TypeUI, TypeDataAccess, TypeUtil, TypeLib}

func (t ProjectType) validate() error {
	for _, k := range Types {
		if t == k {
			return nil
		}
	}
	return fmt.Errorf("unknown project type %q (want one of app, feature, ui, data-access, util, lib)", string(t))
}

// IsLibrary reports whether t is a library type.
func (t ProjectType) IsLibrary() bool { return t != TypeApp }

// typeFromDir infers a library type from a directory name prefix.
func typeFromDir(base string) ProjectType {
	switch {
	case strings.HasPrefix(base, "feature-"):
		return TypeFeature
	case strings.HasPrefix(base, "ui-"):
		return TypeUI
	case strings.HasPrefix(base, "data-access-"):
		return TypeDataAccess
	case strings.HasPrefix(base, "util-"), strings.HasPrefix(base, "utils-"):
		return TypeUtil
	}
	return TypeLib
}

// Project is one project of the workspace.
type Project struct {
	// Name is unique in the workspace.
	Name string `json:"name"`
	// Root is the project directory relative to the workspace root, with
	// forward slashes ("." for the root itself).
	Root string      `json:"root"`
	Type ProjectType `json:"type"`
	// Tags include inferred ones: type:<type> and, under libs/<scope>/,
	// scope:<scope>.
	Tags []string `json:"tags"`
	// Targets are the project's resolved targets.
	Targets map[string]Target `json:"-"`
	// ImplicitDependencies are project names this project depends on without
	// importing them.
	ImplicitDependencies []string `json:"implicitDependencies,omitempty"`
	// Inputs are extra input globs from project.yaml.
	Inputs []string `json:"inputs,omitempty"`
	// ConfigFile is the project.yaml path relative to the root, if any.
	ConfigFile string `json:"configFile,omitempty"`
	// Source says how the project was found: "inferred", "project.yaml",
	// "cent.yaml" or "go.work".
	Source string `json:"source"`
}

// HasTag reports whether p carries tag.
func (p *Project) HasTag(tag string) bool {
	for _, t := range p.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Scope returns the value of the project's scope: tag, or "".
func (p *Project) Scope() string {
	for _, t := range p.Tags {
		if s, ok := strings.CutPrefix(t, "scope:"); ok {
			return s
		}
	}
	return ""
}

// Contains reports whether the slash-separated workspace-relative path rel
// lies inside the project's directory.
func (p *Project) Contains(rel string) bool {
	return p.Root == "." || rel == p.Root || strings.HasPrefix(rel, p.Root+"/")
}

// Dir returns the project's directory joined with elem, slash-separated.
func (p *Project) Dir(elem ...string) string {
	return path.Join(append([]string{p.Root}, elem...)...)
}
