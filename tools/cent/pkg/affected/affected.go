package affected

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/mod/modfile"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// Input is what Compute needs besides the graph.
type Input struct {
	// Changes are the changed files, workspace-relative.
	Changes []Change
	// Target, when set, limits the answer to projects that have the target,
	// and counts a changed file only where it is among the target's inputs.
	Target string
	// Old reads a file as it was at the base; New as it is at the head. Both
	// return an error wrapping os.ErrNotExist for a missing file.
	Old, New func(ctx context.Context, file string) ([]byte, error)
	// ModCache is GOMODCACHE, for module-level dependencies of a go.mod
	// change; empty means every package using an external module is affected
	// by any module change.
	ModCache string
}

// Project is one affected project and why.
type Project struct {
	Name    string                `json:"name"`
	Root    string                `json:"root"`
	Type    workspace.ProjectType `json:"type"`
	Reasons []string              `json:"reasons"`
}

// Result is the answer of Compute.
type Result struct {
	// All is set when the change affects everything; AllReason says why.
	All       bool      `json:"all"`
	AllReason string    `json:"allReason,omitempty"`
	Projects  []Project `json:"projects"`
	// Packages are the affected packages' import paths.
	Packages []string `json:"packages"`
}

// Names returns the affected project names.
func (r *Result) Names() []string {
	out := make([]string, len(r.Projects))
	for i, p := range r.Projects {
		out[i] = p.Name
	}
	return out
}

// maxReasons bounds the reasons kept per project.
const maxReasons = 3

// externalInput is an input glob of a project that reaches outside the
// project's directory.
type externalInput struct {
	project *workspace.Project
	glob    string
}

type computation struct {
	g        *graph.Graph
	ws       *workspace.Workspace
	in       Input
	reasons  map[string][]string
	seeds    map[*graph.Package]string
	pkgs     map[*graph.Package]bool
	matchers map[string]inputSet
	external []externalInput // input globs outside their project's root
	mods     map[string]bool // affected external or workspace module paths
	modAll   bool            // module graph unknown: any external module counts
}

// Compute maps changed files to affected packages and projects.
func Compute(ctx context.Context, g *graph.Graph, in Input) (*Result, error) {
	c := &computation{g: g, ws: g.Workspace, in: in, reasons: map[string][]string{},
		seeds: map[*graph.Package]string{}, pkgs: map[*graph.Package]bool{},
		matchers: map[string]inputSet{}, mods: map[string]bool{}}
	if err := c.prepare(); err != nil {
		return nil, err
	}
	embeds := map[string][]*graph.Package{}
	for _, p := range g.Packages {
		for _, f := range p.EmbedFiles {
			embeds[f] = append(embeds[f], p)
		}
	}
	for _, ch := range in.Changes {
		files := []string{ch.Path}
		if ch.OldPath != "" {
			files = append(files, ch.OldPath)
		}
		for _, f := range files {
			if all, why, err := c.global(ctx, f); err != nil {
				return nil, err
			} else if all {
				return c.everything(why), nil
			}
			if err := c.file(ctx, f); err != nil {
				return nil, err
			}
			for _, p := range embeds[f] {
				c.seed(p, "embedded file "+f+" changed")
			}
		}
	}
	c.close()
	return c.result(), nil
}

func (c *computation) prepare() error {
	// Inputs outside a project can only come from {workspaceRoot} globs,
	// which do not depend on the project: resolve each distinct input list
	// once.
	memo := map[string][]string{}
	for _, p := range c.ws.Projects {
		for _, list := range c.inputLists(p) {
			key := strings.Join(list, "\x00")
			ext, ok := memo[key]
			if !ok {
				m, err := c.ws.Inputs(p, list)
				if err != nil {
					return err
				}
				ext = m.External()
				memo[key] = ext
			}
			for _, g := range ext {
				c.external = append(c.external, externalInput{p, g})
			}
		}
	}
	return nil
}

// inputLists returns the input lists that count for p: the chosen target's
// (nil when p lacks it), or with no target the whole project directory and
// every target's.
func (c *computation) inputLists(p *workspace.Project) [][]string {
	if c.in.Target != "" {
		t, ok := p.Targets[c.in.Target]
		if !ok {
			return nil
		}
		return [][]string{append(append([]string(nil), t.Inputs...), p.Inputs...)}
	}
	lists := [][]string{append([]string{"{projectRoot}/**/*"}, p.Inputs...)}
	for _, name := range sortedTargetNames(p) {
		lists = append(lists, p.Targets[name].Inputs)
	}
	return lists
}

// inputSet is the union of a project's relevant input matchers.
type inputSet []*workspace.Matcher

// Match reports whether any matcher matches rel.
func (s inputSet) Match(rel string) bool {
	for _, m := range s {
		if m.Match(rel) {
			return true
		}
	}
	return false
}

// matcher returns the inputs of p for the chosen target (nil when p lacks
// the target). With no target, every target's inputs plus the whole project
// directory count.
func (c *computation) matcher(p *workspace.Project) (inputSet, error) {
	if m, ok := c.matchers[p.Name]; ok {
		return m, nil
	}
	var set inputSet
	for _, l := range c.inputLists(p) {
		m, err := c.ws.Inputs(p, l)
		if err != nil {
			return nil, err
		}
		set = append(set, m)
	}
	c.matchers[p.Name] = set
	return set, nil
}

func sortedTargetNames(p *workspace.Project) []string {
	var names []string
	for n := range p.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *computation) mark(project, reason string) {
	if project == "" {
		return
	}
	if c.in.Target != "" {
		p, err := c.ws.Project(project)
		if err != nil {
			return
		}
		if _, ok := p.Targets[c.in.Target]; !ok {
			return
		}
	}
	rs, seen := c.reasons[project]
	if !seen {
		c.reasons[project] = nil
	}
	if len(rs) < maxReasons && !slices.Contains(rs, reason) {
		c.reasons[project] = append(rs, reason)
	}
}

func (c *computation) seed(p *graph.Package, reason string) {
	if _, ok := c.seeds[p]; !ok {
		c.seeds[p] = reason
	}
}

// global handles files that affect everything or act through go.mod/go.sum.
func (c *computation) global(ctx context.Context, f string) (bool, string, error) {
	base := path.Base(f)
	dir := path.Dir(f)
	switch {
	case f == "go.work" || f == "go.work.sum":
		return true, f + " changed", nil
	case f == workspace.ConfigFileName:
		return true, f + " changed", nil
	case base != "go.mod" && base != "go.sum":
		return false, "", nil
	}
	var wm *workspace.Module
	for _, m := range c.ws.Modules {
		if m.Dir == dir {
			wm = m
		}
	}
	if wm == nil {
		return false, "", nil // a go.mod of a module outside the workspace
	}
	oldData, err := read(ctx, c.in.Old, f)
	if err != nil {
		return false, "", err
	}
	newData, err := read(ctx, c.in.New, f)
	if err != nil {
		return false, "", err
	}
	var changed []string
	if base == "go.mod" {
		mc := DiffGoMod(f, oldData, newData)
		if mc.All {
			return true, mc.Reason, nil
		}
		changed = mc.Modules
	} else {
		changed = DiffGoSum(oldData, newData)
	}
	if len(changed) == 0 {
		return false, "", nil
	}
	c.moduleChange(wm, changed, f)
	return false, "", nil
}

func read(ctx context.Context, fn func(context.Context, string) ([]byte, error), f string) ([]byte, error) {
	if fn == nil {
		return nil, fmt.Errorf("reading %s: no reader configured", f)
	}
	data, err := fn(ctx, f)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// moduleChange seeds the packages that use a changed module, directly or
// through another required module that depends on it.
func (c *computation) moduleChange(wm *workspace.Module, changed []string, file string) {
	reqs := EffectiveRequirements(wm.File)
	local := map[string]*modfile.File{}
	for _, m := range c.ws.Modules {
		local[m.Path] = m.File
	}
	mg := ModuleGraph{ModCache: c.in.ModCache, Local: local}
	affected, ok := mg.Dependents(reqs, changed)
	if !ok {
		c.modAll = true
	}
	for m := range affected {
		c.mods[m] = true
	}
	reason := file + ": " + strings.Join(changed, ", ")
	if len(changed) > 3 {
		reason = fmt.Sprintf("%s: %d modules changed", file, len(changed))
	}
	for _, p := range c.g.Packages {
		if c.ws.ModuleForDir(p.Dir) != wm {
			continue
		}
		if c.usesModule(p.Modules) || c.importsLocalModule(p.Imports) {
			c.seed(p, reason)
		} else if c.usesModule(p.TestModules) || c.importsLocalModule(p.TestImports) {
			c.markTest(p, reason)
		}
	}
}

func (c *computation) usesModule(mods []string) bool {
	if c.modAll && len(mods) > 0 {
		return true
	}
	for _, m := range mods {
		if c.mods[m] {
			return true
		}
	}
	return false
}

func (c *computation) importsLocalModule(imports []string) bool {
	for _, imp := range imports {
		q, ok := c.g.Package(imp)
		if !ok {
			continue
		}
		if m := c.ws.ModuleForDir(q.Dir); m != nil && c.mods[m.Path] {
			return true
		}
	}
	return false
}

// file handles one changed file at project level and, for Go files, at
// package level.
func (c *computation) file(ctx context.Context, f string) error {
	isGo := strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go")
	dir := path.Dir(f)
	pkg, hasPkg := c.g.PackageInDir(dir)
	built := true // whether the Go file is (or was) part of its package's build
	if isGo && hasPkg && pkg.Error == "" && !slices.Contains(pkg.GoFiles, path.Base(f)) {
		// Not built for this platform now; it matters only if it was built
		// before the change (the change excluded it).
		old, err := read(ctx, c.in.Old, f)
		if err != nil {
			return err
		}
		built = old != nil && c.g.Builds(dir, path.Base(f), old)
	}
	owner := c.ws.Owner(f)
	// A Go file no build of this platform uses counts for its project only
	// when no target is chosen (it is still one of the project's files).
	if owner != nil && (built || c.in.Target == "") {
		if m, _ := c.matcher(owner); m != nil && m.Match(f) {
			c.mark(owner.Name, "changed "+f)
		}
	}
	for _, e := range c.external {
		if e.project == owner {
			continue
		}
		if ok, _ := doublestar.Match(e.glob, f); !ok {
			continue
		}
		if m, _ := c.matcher(e.project); m != nil && m.Match(f) {
			c.mark(e.project.Name, "input "+f+" changed")
		}
	}
	if !isGo {
		return nil
	}
	if hasPkg {
		if built {
			c.seed(pkg, "changed "+f)
		}
		return nil
	}
	// The package is gone (deleted or moved): whoever still imports it is
	// affected.
	if ip := c.ws.ImportPath(dir); ip != "" {
		for _, q := range c.g.Importers(ip) {
			c.seed(q, "imported package "+ip+" was removed")
		}
		for _, q := range c.g.TestImporters(ip) {
			c.markTest(q, "test imports removed package "+ip)
		}
	}
	return nil
}

// markTest marks the project of a package whose tests are affected, when the
// target's inputs include that package's test files.
func (c *computation) markTest(p *graph.Package, reason string) {
	pr, err := c.ws.Project(p.Project)
	if err != nil {
		return
	}
	m, _ := c.matcher(pr)
	if m == nil {
		return
	}
	for _, f := range p.TestGoFiles {
		if m.Match(path.Join(p.Dir, f)) {
			c.mark(p.Project, reason)
			return
		}
	}
}

// close computes the reverse-import closure of the seeds, marks projects, and
// follows implicit dependencies until nothing changes.
func (c *computation) close() {
	queue := make([]*graph.Package, 0, len(c.seeds))
	for p := range c.seeds {
		queue = append(queue, p)
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i].ImportPath < queue[j].ImportPath })
	via := map[*graph.Package]string{}
	for _, p := range queue {
		via[p] = c.seeds[p]
	}
	for {
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if c.pkgs[p] {
				continue
			}
			c.pkgs[p] = true
			c.mark(p.Project, via[p])
			for _, q := range c.g.Importers(p.ImportPath) {
				if !c.pkgs[q] {
					if _, ok := via[q]; !ok {
						via[q] = "imports " + p.ImportPath
					}
					queue = append(queue, q)
				}
			}
			for _, q := range c.g.TestImporters(p.ImportPath) {
				c.markTest(q, "tests import "+p.ImportPath)
			}
		}
		// Implicit dependencies: a project that implicitly depends on an
		// affected one is affected, and so are its packages' importers.
		grew := false
		for _, pr := range c.ws.Projects {
			if _, done := c.reasons[pr.Name]; done && c.allPkgsIn(pr.Name) {
				continue
			}
			for _, d := range pr.ImplicitDependencies {
				if _, hit := c.reasons[d]; !hit || strings.HasPrefix(d, "!") {
					continue
				}
				c.mark(pr.Name, "implicit dependency on "+d)
				for _, p := range c.g.PackagesOf(pr.Name) {
					if !c.pkgs[p] {
						via[p] = "implicit dependency on " + d
						queue = append(queue, p)
						grew = true
					}
				}
				break
			}
		}
		if !grew {
			return
		}
	}
}

func (c *computation) allPkgsIn(project string) bool {
	for _, p := range c.g.PackagesOf(project) {
		if !c.pkgs[p] {
			return false
		}
	}
	return true
}

func (c *computation) result() *Result {
	r := &Result{Projects: []Project{}, Packages: []string{}}
	for _, pr := range c.ws.Projects {
		if rs, ok := c.reasons[pr.Name]; ok {
			r.Projects = append(r.Projects, Project{Name: pr.Name, Root: pr.Root, Type: pr.Type, Reasons: rs})
		}
	}
	for p := range c.pkgs {
		r.Packages = append(r.Packages, p.ImportPath)
	}
	sort.Strings(r.Packages)
	return r
}

func (c *computation) everything(why string) *Result { return Everything(c.g, c.in.Target, why) }

// Everything returns a Result in which every project (with target, when one
// is given) and every package is affected, for reason why.
func Everything(g *graph.Graph, target, why string) *Result {
	r := &Result{All: true, AllReason: why, Projects: []Project{}, Packages: []string{}}
	for _, pr := range g.Workspace.Projects {
		if target != "" {
			if _, ok := pr.Targets[target]; !ok {
				continue
			}
		}
		r.Projects = append(r.Projects, Project{Name: pr.Name, Root: pr.Root, Type: pr.Type, Reasons: []string{why}})
	}
	for _, p := range g.Packages {
		r.Packages = append(r.Packages, p.ImportPath)
	}
	return r
}
