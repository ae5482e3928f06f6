package wsgen

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Project types. Apps are binaries; the four library types follow the
// default boundary rules checked by Allowed.
const (
	TypeApp        = "app"
	TypeFeature    = "feature"
	TypeUI         = "ui"
	TypeDataAccess = "data-access"
	TypeUtil       = "util"
)

// LibTypes lists the library types from the top of the graph to its root.
var LibTypes = []string{TypeFeature, TypeUI, TypeDataAccess, TypeUtil}

// Allowed reports whether a project of type from may import a library of
// type to under the default boundary rules: app -> any library;
// feature -> feature|ui|data-access|util; ui -> ui|util;
// data-access -> data-access|util; util -> util.
func Allowed(from, to string) bool {
	switch from {
	case TypeApp:
		return to != TypeApp
	case TypeFeature:
		return to != TypeApp
	case TypeUI:
		return to == TypeUI || to == TypeUtil
	case TypeDataAccess:
		return to == TypeDataAccess || to == TypeUtil
	case TypeUtil:
		return to == TypeUtil
	}
	return false
}

// Manifest describes a generated workspace: its projects, their import
// graph as generated, the local external modules, and the typed changes
// ApplyChange can make.
type Manifest struct {
	// Module is the root module path.
	Module string `json:"module"`
	// Spec is the spec the workspace was generated from, defaults applied.
	Spec Spec `json:"spec"`
	// Projects lists apps then libraries, each sorted by name.
	Projects []Project `json:"projects"`
	// External lists the local third-party modules.
	External []ExternalModule `json:"external"`
	// Changes lists one candidate per change kind, sorted by kind.
	Changes []Change `json:"changes"`
}

// Project is one app or library.
type Project struct {
	// Name is the project name: the directory name for apps,
	// <scope>-<type>-<name> for libraries.
	Name string `json:"name"`
	// Type is TypeApp or one of LibTypes.
	Type string `json:"type"`
	// Scope is the library's scope; empty for apps.
	Scope string `json:"scope,omitempty"`
	// Dir is the project root relative to the workspace, slash-separated.
	Dir string `json:"dir"`
	// Tags are Nx-style tags: scope:<scope> and type:<type>.
	Tags []string `json:"tags"`
	// Packages are the import paths of the project's packages.
	Packages []string `json:"packages"`
	// Imports are the projects imported by non-test code built for linux.
	Imports []string `json:"imports,omitempty"`
	// TestImports are the projects imported only by the project's tests.
	TestImports []string `json:"testImports,omitempty"`
	// WindowsImports are the projects imported only by windows-only files.
	WindowsImports []string `json:"windowsImports,omitempty"`
	// Modules are the external module paths the project imports.
	Modules []string `json:"modules,omitempty"`
	// Traits names what makes the project hard to analyse: embed,
	// testdata, xtest, buildtags, testimports.
	Traits []string `json:"traits,omitempty"`
}

// ExternalModule is a small module under third_party/, required at
// Version and replaced by its local directory.
type ExternalModule struct {
	// Path is the module path.
	Path string `json:"path"`
	// Dir is the module directory relative to the workspace.
	Dir string `json:"dir"`
	// Version is the required version in the root go.mod.
	Version string `json:"version"`
	// Importers are the projects that import a package of the module.
	Importers []string `json:"importers"`
}

// ChangeKind names a typed change; see the Change* constants.
type ChangeKind string

// The typed changes ApplyChange makes.
const (
	// ChangeRootUtil edits the source of the util library most depended upon.
	ChangeRootUtil ChangeKind = "root-util"
	// ChangeLeafFeature edits a feature library no other library imports.
	ChangeLeafFeature ChangeKind = "leaf-feature"
	// ChangeAppOnly edits an app's main.go.
	ChangeAppOnly ChangeKind = "app-only"
	// ChangeTestOnly edits a _test.go file of the root util library.
	ChangeTestOnly ChangeKind = "test-only"
	// ChangeNonGo edits the root util library's README.md.
	ChangeNonGo ChangeKind = "non-go"
	// ChangeNewFile adds a Go file to a mid-graph library.
	ChangeNewFile ChangeKind = "new-file"
	// ChangeDeletedFile deletes the doc.go of a mid-graph library.
	ChangeDeletedFile ChangeKind = "deleted-file"
	// ChangeModBump bumps the required version of the external module
	// with the fewest importers (the replace directive stays).
	ChangeModBump ChangeKind = "gomod-bump"
	// ChangeEmbed edits a file embedded with //go:embed.
	ChangeEmbed ChangeKind = "embed-file"
	// ChangeTestdata edits a file under a library's testdata/.
	ChangeTestdata ChangeKind = "testdata-file"
	// ChangeWindowsOnly edits a library's _windows.go file.
	ChangeWindowsOnly ChangeKind = "windows-only"
)

// ChangeKinds lists every change kind in a stable order.
var ChangeKinds = []ChangeKind{
	ChangeRootUtil, ChangeLeafFeature, ChangeAppOnly, ChangeTestOnly, ChangeNonGo,
	ChangeNewFile, ChangeDeletedFile, ChangeModBump, ChangeEmbed, ChangeTestdata, ChangeWindowsOnly,
}

// Change is a planned typed change.
type Change struct {
	// Kind is the change kind.
	Kind ChangeKind `json:"kind"`
	// Project is the project the change touches; empty for gomod-bump.
	Project string `json:"project,omitempty"`
	// Files are the workspace-relative files the change edits, adds or
	// deletes.
	Files []string `json:"files"`
	// Module is the bumped module path (gomod-bump only).
	Module string `json:"module,omitempty"`
	// Version is the new required version (gomod-bump only).
	Version string `json:"version,omitempty"`
}

// Change returns the planned change of kind k, or an error wrapping
// ErrUnknownChange.
func (m *Manifest) Change(k ChangeKind) (Change, error) {
	for _, c := range m.Changes {
		if c.Kind == k {
			return c, nil
		}
	}
	return Change{}, fmt.Errorf("change %q: %w", k, ErrUnknownChange)
}

// Project returns the project named name.
func (m *Manifest) Project(name string) (Project, bool) {
	for _, p := range m.Projects {
		if p.Name == name {
			return p, true
		}
	}
	return Project{}, false
}

// ProjectsOf maps package import paths to the sorted, distinct names of
// the projects that own them; packages outside every project (external
// modules, the standard library) are dropped.
func (m *Manifest) ProjectsOf(importPaths []string) []string {
	owner := make(map[string]string)
	for _, p := range m.Projects {
		for _, pkg := range p.Packages {
			owner[pkg] = p.Name
		}
	}
	set := make(map[string]bool)
	for _, ip := range importPaths {
		if n, ok := owner[ip]; ok {
			set[n] = true
		}
	}
	return sortedKeys(set)
}

// WriteJSON writes m as indented JSON.
func (m *Manifest) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("encoding manifest: %w", err)
	}
	return nil
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// relPath joins slash-separated path elements.
func relPath(elem ...string) string { return strings.Join(elem, "/") }

// ReadManifest reads a manifest written by WriteJSON; unknown fields are
// errors that name the file.
func ReadManifest(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("reading manifest %s: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("reading manifest %s: data after the JSON object at offset %d", path, dec.InputOffset())
	}
	return &m, nil
}
