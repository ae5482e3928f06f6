package graph

import (
	"bytes"
	"context"
	"go/build"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// EdgeKind says why one project depends on another.
type EdgeKind string

// The kinds of project dependency.
const (
	// Import: a non-test package of the source imports a package of the target.
	Import EdgeKind = "import"
	// TestImport: only test files of the source import the target.
	TestImport EdgeKind = "test-import"
	// Implicit: declared in project.yaml's implicitDependencies.
	Implicit EdgeKind = "implicit"
)

// Dependency is an edge of the project graph.
type Dependency struct {
	Source string   `json:"source"`
	Target string   `json:"target"`
	Kind   EdgeKind `json:"kind"`
}

// Graph is the package and project graph of a workspace.
type Graph struct {
	Workspace *workspace.Workspace `json:"-"`
	// Packages are sorted by import path.
	Packages []*Package `json:"packages"`
	// Dependencies are sorted by source, then target.
	Dependencies []Dependency `json:"dependencies"`
	// Cycles are the project import cycles (strongly connected components
	// over import and implicit edges), each sorted, listed sorted.
	Cycles [][]string `json:"cycles,omitempty"`
	// Errors maps a project name to the problems found in its packages.
	Errors map[string][]string `json:"errors,omitempty"`

	bctx       build.Context
	byProject  map[string][]*Package
	byPath     map[string]*Package
	byDir      map[string]*Package
	importers  map[string][]*Package // import path -> packages importing it (non-test)
	testUsers  map[string][]*Package // import path -> packages whose tests import it
	deps       map[string][]Dependency
	dependents map[string][]Dependency
}

// Build reads the workspace's packages and builds the graph.
func Build(ctx context.Context, ws *workspace.Workspace, o Options) (*Graph, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	bctx := (&wsView{ws}).buildContext(o)
	pkgs, err := loadPackages(ctx, ws, bctx, o)
	if err != nil {
		return nil, err
	}
	g := &Graph{Workspace: ws, Packages: pkgs, Errors: map[string][]string{}, bctx: bctx}
	g.index()
	g.resolveModules()
	g.rollUp()
	return g, nil
}

func (g *Graph) index() {
	sort.Slice(g.Packages, func(i, j int) bool { return g.Packages[i].ImportPath < g.Packages[j].ImportPath })
	g.byPath = make(map[string]*Package, len(g.Packages))
	g.byDir = make(map[string]*Package, len(g.Packages))
	g.importers = map[string][]*Package{}
	g.testUsers = map[string][]*Package{}
	g.byProject = map[string][]*Package{}
	for _, p := range g.Packages {
		g.byPath[p.ImportPath] = p
		g.byDir[p.Dir] = p
		g.byProject[p.Project] = append(g.byProject[p.Project], p)
	}
	for _, p := range g.Packages {
		for _, imp := range p.Imports {
			g.importers[imp] = append(g.importers[imp], p)
		}
		for _, imp := range p.TestImports {
			g.testUsers[imp] = append(g.testUsers[imp], p)
		}
		if p.Error != "" {
			g.Errors[p.Project] = append(g.Errors[p.Project], p.Error)
		}
	}
}

// isStd reports whether an import path belongs to the standard library, by
// the go command's rule: no dot in the first path element.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// resolveModules maps each external import to its module: the longest
// required module path of the importing package's module that prefixes it.
func (g *Graph) resolveModules() {
	ws := g.Workspace
	for _, p := range g.Packages {
		mod := ws.ModuleForDir(p.Dir)
		p.Modules = g.modulesOf(p, mod, p.Imports)
		p.TestModules = minus(g.modulesOf(p, mod, p.TestImports), p.Modules)
	}
}

func (g *Graph) modulesOf(p *Package, mod *workspace.Module, imports []string) []string {
	set := map[string]bool{}
	for _, imp := range imports {
		if _, local := g.byPath[imp]; local {
			continue
		}
		if _, inWS := g.Workspace.PackageDir(imp); inWS {
			g.noteMissing(p, imp)
			continue
		}
		if isStd(imp) || imp == "C" {
			continue
		}
		if m := requiredModule(mod, imp); m != "" {
			set[m] = true
		} else {
			g.Errors[p.Project] = append(g.Errors[p.Project], p.Dir+": import "+imp+" is not provided by any required module")
		}
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func (g *Graph) noteMissing(p *Package, imp string) {
	msg := p.Dir + ": import " + imp + " names a workspace package that does not exist"
	g.Errors[p.Project] = append(g.Errors[p.Project], msg)
}

func requiredModule(m *workspace.Module, imp string) string {
	if m == nil || m.File == nil {
		return ""
	}
	best := ""
	for _, r := range m.File.Require {
		mp := r.Mod.Path
		if (imp == mp || strings.HasPrefix(imp, mp+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	return best
}

// rollUp computes project edges from package imports and implicit
// dependencies, then the cycles.
func (g *Graph) rollUp() {
	kinds := map[[2]string]EdgeKind{}
	add := func(src, dst string, k EdgeKind) {
		if src == dst || src == "" || dst == "" {
			return
		}
		key := [2]string{src, dst}
		if old, ok := kinds[key]; ok && (old == Import || old == k || (old == Implicit && k == TestImport)) {
			return
		}
		kinds[key] = k
	}
	for _, p := range g.Packages {
		for _, imp := range p.Imports {
			if q, ok := g.byPath[imp]; ok {
				add(p.Project, q.Project, Import)
			}
		}
		for _, imp := range p.TestImports {
			if q, ok := g.byPath[imp]; ok {
				add(p.Project, q.Project, TestImport)
			}
		}
	}
	for _, pr := range g.Workspace.Projects {
		for _, d := range pr.ImplicitDependencies {
			if name, neg := strings.CutPrefix(d, "!"); neg {
				delete(kinds, [2]string{pr.Name, name})
			} else {
				add(pr.Name, d, Implicit)
			}
		}
	}
	g.Dependencies = make([]Dependency, 0, len(kinds))
	for key, k := range kinds {
		g.Dependencies = append(g.Dependencies, Dependency{Source: key[0], Target: key[1], Kind: k})
	}
	slices.SortFunc(g.Dependencies, func(a, b Dependency) int {
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return strings.Compare(a.Target, b.Target)
	})
	// A project's dependencies are a run of the sorted list; its
	// dependents are gathered into one backing array.
	g.deps = make(map[string][]Dependency, len(g.Workspace.Projects))
	for i := 0; i < len(g.Dependencies); {
		j := i + 1
		for j < len(g.Dependencies) && g.Dependencies[j].Source == g.Dependencies[i].Source {
			j++
		}
		g.deps[g.Dependencies[i].Source] = g.Dependencies[i:j:j]
		i = j
	}
	count := make(map[string]int, len(g.Workspace.Projects))
	for _, d := range g.Dependencies {
		count[d.Target]++
	}
	g.dependents = make(map[string][]Dependency, len(count))
	backing := make([]Dependency, 0, len(g.Dependencies))
	for _, d := range g.Dependencies {
		list, ok := g.dependents[d.Target]
		if !ok {
			n := count[d.Target]
			list = backing[len(backing) : len(backing) : len(backing)+n]
			backing = backing[:len(backing)+n]
		}
		g.dependents[d.Target] = append(list, d)
	}
	g.Cycles = g.findCycles()
}

// Package returns the package with the given import path.
func (g *Graph) Package(importPath string) (*Package, bool) {
	p, ok := g.byPath[importPath]
	return p, ok
}

// PackageInDir returns the package in a workspace-relative directory.
func (g *Graph) PackageInDir(dir string) (*Package, bool) {
	p, ok := g.byDir[dir]
	return p, ok
}

// Importers returns the packages whose non-test files import importPath.
func (g *Graph) Importers(importPath string) []*Package { return g.importers[importPath] }

// TestImporters returns the packages whose test files (and not their non-test
// files) import importPath.
func (g *Graph) TestImporters(importPath string) []*Package { return g.testUsers[importPath] }

// Deps returns the direct dependencies of a project.
func (g *Graph) Deps(project string) []Dependency { return g.deps[project] }

// Dependents returns the projects that depend directly on project.
func (g *Graph) Dependents(project string) []Dependency { return g.dependents[project] }

// PackagesOf returns the packages of a project, sorted by import path.
func (g *Graph) PackagesOf(project string) []*Package { return g.byProject[project] }

// TransitiveDeps returns every project project depends on through edges of
// the given kinds (all kinds when none are given), sorted, without project
// itself. Cycles are walked once.
func (g *Graph) TransitiveDeps(project string, kinds ...EdgeKind) []string {
	seen := map[string]bool{project: true}
	stack := []string{project}
	var out []string
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range g.deps[cur] {
			if !kindIn(d.Kind, kinds) || seen[d.Target] {
				continue
			}
			seen[d.Target] = true
			out = append(out, d.Target)
			stack = append(stack, d.Target)
		}
	}
	sort.Strings(out)
	return out
}

func kindIn(k EdgeKind, kinds []EdgeKind) bool {
	if len(kinds) == 0 {
		return true
	}
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// findCycles returns the strongly connected components of more than one
// project over import and implicit edges (Tarjan's algorithm, iterative so
// deep graphs cannot overflow the stack).
func (g *Graph) findCycles() [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	type frame struct {
		node string
		i    int
	}
	for _, pr := range g.Workspace.Projects {
		if _, seen := index[pr.Name]; seen {
			continue
		}
		work := []frame{{node: pr.Name}}
		index[pr.Name], low[pr.Name] = next, next
		next++
		stack = append(stack, pr.Name)
		onStack[pr.Name] = true
		for len(work) > 0 {
			f := &work[len(work)-1]
			edges := g.deps[f.node]
			if f.i < len(edges) {
				d := edges[f.i]
				f.i++
				if d.Kind == TestImport {
					continue
				}
				w := d.Target
				if _, seen := index[w]; !seen {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					work = append(work, frame{node: w})
				} else if onStack[w] && index[w] < low[f.node] {
					low[f.node] = index[w]
				}
				continue
			}
			v := f.node
			work = work[:len(work)-1]
			if len(work) > 0 {
				parent := work[len(work)-1].node
				if low[v] < low[parent] {
					low[parent] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []string
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				if len(comp) > 1 {
					sort.Strings(comp)
					out = append(out, comp)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Builds reports whether a Go file named name in the workspace-relative
// directory dir, with the given content, is part of its package's build for
// the graph's platform (build constraints and file-name GOOS/GOARCH).
func (g *Graph) Builds(dir, name string, content []byte) bool {
	ctx := g.bctx
	ctx.OpenFile = func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }
	ok, err := ctx.MatchFile(dir, name)
	return ok || err != nil
}
