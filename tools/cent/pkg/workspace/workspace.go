package workspace

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"
)

// Workspace is a loaded workspace: its root, configuration, modules and
// projects.
type Workspace struct {
	// Root is the absolute workspace directory.
	Root string
	// Config is cent.yaml's content (defaults when there is none).
	Config *Config
	// ConfigFile is "cent.yaml" when that file exists, else "".
	ConfigFile string
	// Modules are the Go modules whose packages belong to the workspace.
	Modules []*Module
	// Projects are sorted by name.
	Projects []*Project
	// Dirs maps every scanned directory (workspace-relative, slash-separated,
	// "." for the root) to its entries.
	Dirs map[string][]fs.DirEntry
	// GoDirs are the scanned directories holding .go files, sorted.
	GoDirs []string

	byName      map[string]*Project
	byRoot      map[string]*Project
	namedInputs map[string][]string
}

// Load finds the workspace containing dir and loads it.
func Load(ctx context.Context, dir string) (*Workspace, error) {
	root, err := Find(dir)
	if err != nil {
		return nil, err
	}
	return LoadRoot(ctx, root)
}

// LoadRoot loads the workspace rooted at root.
func LoadRoot(ctx context.Context, root string) (*Workspace, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	ws := &Workspace{Root: root, Config: &Config{}, byName: map[string]*Project{}, byRoot: map[string]*Project{}}
	if p := filepath.Join(root, ConfigFileName); exists(p) {
		cfg, err := readConfigFile(p, ConfigFileName, ParseConfig)
		if err != nil {
			return nil, err
		}
		ws.Config, ws.ConfigFile = cfg, ConfigFileName
	}
	ws.namedInputs = DefaultNamedInputs()
	for k, v := range ws.Config.NamedInputs {
		ws.namedInputs[k] = v
	}
	if ws.Modules, err = loadModules(root); err != nil {
		return nil, err
	}
	projectFiles, err := ws.scan(ctx)
	if err != nil {
		return nil, err
	}
	if err := ws.inferProjects(projectFiles); err != nil {
		return nil, err
	}
	return ws, nil
}

// ignoredByGo reports whether the go command ignores packages in a directory
// with this name.
func ignoredByGo(name string) bool {
	return name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// scan walks the workspace once, recording directory entries, the
// directories with Go packages and the project.yaml files. Hidden
// directories and node_modules are never entered; directories the go
// command ignores (testdata, vendor, _-prefixed) are recorded but hold no
// packages;
// nested modules that are not workspace modules are skipped, as the go
// command does.
func (ws *Workspace) scan(ctx context.Context) ([]string, error) {
	ws.Dirs = map[string][]fs.DirEntry{}
	modDirs := map[string]bool{}
	for _, m := range ws.Modules {
		modDirs[m.Dir] = true
	}
	var (
		mu           sync.Mutex
		projectFiles []string
	)
	// Directories are read in parallel: a walker that finds no free slot
	// walks the subdirectory itself.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4 * runtime.GOMAXPROCS(0))
	var walk func(rel string, ignored bool) error
	walk = func(rel string, ignored bool) error {
		if err := gctx.Err(); err != nil {
			return err
		}
		entries, err := os.ReadDir(filepath.Join(ws.Root, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("scanning %s: %w", rel, err)
		}
		if !ignored && !modDirs[rel] {
			for _, e := range entries {
				if e.Name() == "go.mod" && !e.IsDir() {
					return nil // a separate module, not part of this workspace
				}
			}
		}
		hasGo := false
		var found []string
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() {
				child := path.Join(rel, name)
				// Hidden directories (.git, tool caches such as .nx or
				// .cache) and node_modules hold no packages and can be huge.
				if strings.HasPrefix(name, ".") || name == "node_modules" || ws.excluded(child) {
					continue
				}
				childIgnored := ignored || ignoredByGo(name)
				if !g.TryGo(func() error { return walk(child, childIgnored) }) {
					if err := walk(child, childIgnored); err != nil {
						return err
					}
				}
				continue
			}
			if ignored {
				continue
			}
			if strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") {
				hasGo = true
			}
			if name == ProjectFileName {
				found = append(found, path.Join(rel, name))
			}
		}
		mu.Lock()
		ws.Dirs[rel] = entries
		if hasGo {
			ws.GoDirs = append(ws.GoDirs, rel)
		}
		projectFiles = append(projectFiles, found...)
		mu.Unlock()
		return nil
	}
	g.Go(func() error { return walk(".", false) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Strings(ws.GoDirs)
	sort.Strings(projectFiles)
	return projectFiles, nil
}

func (ws *Workspace) excluded(rel string) bool {
	for _, g := range ws.Config.Exclude {
		if ok, _ := doublestar.Match(g, rel); ok {
			return true
		}
	}
	return false
}

// Project returns the project called name.
func (ws *Workspace) Project(name string) (*Project, error) {
	if p, ok := ws.byName[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownProject, name)
}

// Owner returns the project owning the workspace-relative path rel: the one
// whose root is the longest prefix of rel. It returns nil when no project
// contains rel.
func (ws *Workspace) Owner(rel string) *Project {
	rel = path.Clean(rel)
	for dir := rel; ; dir = path.Dir(dir) {
		if p, ok := ws.byRoot[dir]; ok {
			return p
		}
		if dir == "." || dir == "/" {
			return nil
		}
	}
}

// NamedInput returns the definition of a named input.
func (ws *Workspace) NamedInput(name string) ([]string, bool) {
	v, ok := ws.namedInputs[name]
	return v, ok
}

// candidate is a directory that is a project, before names are settled.
type candidate struct {
	root   string
	name   string // inferred name
	alt    string // name used when the inferred one collides
	typ    ProjectType
	scope  string
	source string
	file   *ProjectFile
	fileAt string
}

func (ws *Workspace) inferProjects(projectFiles []string) error {
	cands := map[string]*candidate{}
	addInferred := func(root, source string) *candidate {
		if c, ok := cands[root]; ok {
			return c
		}
		c := &candidate{root: root, source: source, typ: TypeLib, name: path.Base(root), alt: strings.ReplaceAll(root, "/", "-")}
		parts := strings.Split(root, "/")
		switch parts[0] {
		case "apps", "cmd", "tools":
			if len(parts) == 2 {
				c.typ = TypeApp
				if parts[0] == "tools" && !ws.isMain(root) {
					c.typ = TypeLib
				}
			}
		case "libs":
			c.typ = typeFromDir(path.Base(root))
			if len(parts) == 3 {
				c.scope = parts[1]
				c.name = parts[1] + "-" + parts[2]
			}
		}
		if root == "." {
			c.name = path.Base(ws.mainModulePath())
			c.alt = c.name
		}
		if len(parts) == 1 && root != "." && parts[0] != "libs" && ws.isMain(root) {
			c.typ = TypeApp
		}
		cands[root] = c
		return c
	}
	declared := map[string]bool{}
	for _, f := range projectFiles {
		if d := path.Dir(f); d != "." {
			declared[d] = true
		}
	}
	insideDeclared := func(dir string) bool {
		for d := dir; ; d = path.Dir(d) {
			if declared[d] {
				return true
			}
			if d == "." {
				return false
			}
		}
	}
	// Modules other than the root one (go.work uses, local replacements)
	// are projects, unless a conventional project lies inside them.
	moduleRoot := func(dir string) string {
		best := ""
		for _, m := range ws.Modules {
			if m.Dir != "." && (dir == m.Dir || strings.HasPrefix(dir, m.Dir+"/")) && len(m.Dir) > len(best) {
				best = m.Dir
			}
		}
		return best
	}
	for _, dir := range ws.GoDirs {
		if insideDeclared(dir) {
			continue // owned by a project.yaml project (or one nested in it)
		}
		root := conventionalRoot(dir, ws.hasGoFiles)
		if mr := moduleRoot(dir); mr != "" && len(root) <= len(mr) {
			c := addInferred(mr, "go.work")
			prefix, _, _ := module.SplitPathVersion(ws.ModuleForDir(mr).Path)
			c.name, c.alt = path.Base(prefix), strings.ReplaceAll(mr, "/", "-")
			if c.typ == TypeLib && ws.isMain(mr) {
				c.typ = TypeApp
			}
			continue
		}
		addInferred(root, "inferred")
	}
	for _, g := range ws.Config.Projects {
		for dir := range ws.Dirs {
			if ok, _ := doublestar.Match(g, dir); ok && dir != "." {
				addInferred(dir, "cent.yaml")
			}
		}
	}
	for _, f := range projectFiles {
		pf, err := readConfigFile(filepath.Join(ws.Root, filepath.FromSlash(f)), f, ParseProjectFile)
		if err != nil {
			return err
		}
		c := addInferred(path.Dir(f), "project.yaml")
		c.file, c.fileAt, c.source = pf, f, "project.yaml"
	}
	return ws.settleProjects(cands)
}

// conventionalRoot returns the project root the layout conventions give a
// directory holding Go files: apps/<name>, cmd/<name>, tools/<name>,
// libs/<name> (when it holds Go files itself) or libs/<scope>/<name>, and
// otherwise the top-level directory (or "." for the root).
func conventionalRoot(dir string, hasGoFiles func(string) bool) string {
	parts := strings.Split(dir, "/")
	switch {
	case dir == ".":
		return "."
	case len(parts) == 1:
		return parts[0]
	case parts[0] == "libs":
		if len(parts) == 2 || hasGoFiles(path.Join("libs", parts[1])) {
			return path.Join("libs", parts[1])
		}
		return path.Join(parts[:3]...)
	case parts[0] == "apps" || parts[0] == "cmd" || parts[0] == "tools":
		return path.Join(parts[:2]...)
	}
	return parts[0]
}

// settleProjects assigns unique names, types, tags and targets.
func (ws *Workspace) settleProjects(cands map[string]*candidate) error {
	count := map[string]int{}
	for _, c := range cands {
		if c.file == nil || c.file.Name == "" {
			count[c.name]++
		}
	}
	var errs []error
	for _, root := range sortedKeys(cands) {
		c := cands[root]
		p := &Project{Name: c.name, Root: c.root, Type: c.typ, Source: c.source, ConfigFile: c.fileAt}
		if count[c.name] > 1 {
			p.Name = c.alt
		}
		var own map[string]Target
		if f := c.file; f != nil {
			if f.Name != "" {
				p.Name = f.Name
			}
			if f.Type != "" {
				p.Type = f.Type
			}
			p.Tags = append(p.Tags, f.Tags...)
			p.ImplicitDependencies = f.ImplicitDependencies
			p.Inputs = f.Inputs
			own = f.Targets
		}
		if !p.HasTag("type:" + string(p.Type)) {
			p.Tags = append(p.Tags, "type:"+string(p.Type))
		}
		if c.scope != "" && p.Scope() == "" {
			p.Tags = append(p.Tags, "scope:"+c.scope)
		}
		sort.Strings(p.Tags)
		p.Targets = resolveTargets(ws.Config, p.Type, own)
		if prev, dup := ws.byName[p.Name]; dup {
			errs = append(errs, fmt.Errorf("two projects are named %q: %s and %s (set a different name in a %s)", p.Name, prev.Root, p.Root, ProjectFileName))
			continue
		}
		ws.byName[p.Name] = p
		ws.byRoot[p.Root] = p
		ws.Projects = append(ws.Projects, p)
	}
	checked := map[string]error{}
	for _, p := range ws.Projects {
		for _, d := range p.ImplicitDependencies {
			if _, ok := ws.byName[strings.TrimPrefix(d, "!")]; !ok {
				errs = append(errs, &ConfigError{File: p.ConfigFile, Msg: fmt.Sprintf("implicitDependencies: unknown project %q", d)})
			}
		}
		for name, t := range p.Targets {
			// Whether named inputs resolve does not depend on the project:
			// check each distinct list once.
			key := strings.Join(t.Inputs, "\x00")
			err, seen := checked[key]
			if !seen {
				_, err = ws.Inputs(p, t.Inputs)
				checked[key] = err
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("project %s: target %s: %w", p.Name, name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	sort.Slice(ws.Projects, func(i, j int) bool { return ws.Projects[i].Name < ws.Projects[j].Name })
	return nil
}

func (ws *Workspace) mainModulePath() string {
	for _, m := range ws.Modules {
		if m.Dir == "." {
			return m.Path
		}
	}
	return filepath.Base(ws.Root)
}

func (ws *Workspace) hasGoFiles(rel string) bool {
	i := sort.SearchStrings(ws.GoDirs, rel)
	return i < len(ws.GoDirs) && ws.GoDirs[i] == rel
}

func (ws *Workspace) hasGoBelow(rel string) bool {
	i := sort.SearchStrings(ws.GoDirs, rel)
	return i < len(ws.GoDirs) && (ws.GoDirs[i] == rel || strings.HasPrefix(ws.GoDirs[i], rel+"/"))
}

// isMain reports whether the package in rel is a main package, reading only
// the package clause of its first non-test Go file.
func (ws *Workspace) isMain(rel string) bool {
	for _, e := range ws.Dirs[rel] {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(ws.Root, filepath.FromSlash(rel), n), nil, parser.PackageClauseOnly)
		if err != nil {
			continue
		}
		return f.Name.Name == "main"
	}
	return false
}
