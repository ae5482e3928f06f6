package graph

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// Package is one Go package of the workspace.
type Package struct {
	ImportPath string `json:"importPath"`
	// Dir is workspace-relative and slash-separated.
	Dir     string `json:"dir"`
	Name    string `json:"name,omitempty"`
	Project string `json:"project"`
	// GoFiles are the non-test files built for the platform (names in Dir),
	// including cgo files.
	GoFiles []string `json:"goFiles,omitempty"`
	// TestGoFiles holds in-package and external test files.
	TestGoFiles []string `json:"testGoFiles,omitempty"`
	// IgnoredFiles are Go files excluded by build constraints.
	IgnoredFiles []string `json:"ignoredFiles,omitempty"`
	// Imports are the non-test imports, sorted.
	Imports []string `json:"imports,omitempty"`
	// TestImports are imports of test files not also in Imports, sorted.
	TestImports []string `json:"testImports,omitempty"`
	// EmbedFiles and TestEmbedFiles are workspace-relative files matched by
	// //go:embed patterns.
	EmbedFiles     []string `json:"embedFiles,omitempty"`
	TestEmbedFiles []string `json:"testEmbedFiles,omitempty"`
	// Modules are the external modules the package's non-test imports come
	// from; TestModules those only its tests import from.
	Modules     []string `json:"modules,omitempty"`
	TestModules []string `json:"testModules,omitempty"`
	// Error describes a file that did not parse or a broken package; the
	// package's other data is still filled in as far as possible.
	Error string `json:"error,omitempty"`

	// ImportPos locates each import (non-test and test) in the source, for
	// lint messages: import path to "file:line" positions (workspace-relative).
	ImportPos map[string][]string `json:"-"`
}

// Options select the build platform. Zero values mean the platform cent runs
// on (honouring GOOS, GOARCH and CGO_ENABLED from the environment as passed in
// Env), plus the workspace's platform settings.
type Options struct {
	GOOS, GOARCH string
	BuildTags    []string
	CgoEnabled   *bool
	// Parallel bounds concurrent directory reads (default 4×GOMAXPROCS).
	Parallel int
	// CacheDir, when set, keeps parsed packages between runs there; a
	// package is read again when any Go file of its directory changed.
	CacheDir string
}

func (ws *wsView) buildContext(o Options) build.Context {
	ctx := build.Default
	ctx.GOPATH = ""
	ctx.Dir = ws.Root
	pl := ws.Config.Platform
	if pl.GOOS != "" {
		ctx.GOOS = pl.GOOS
	}
	if pl.GOARCH != "" {
		ctx.GOARCH = pl.GOARCH
	}
	if o.GOOS != "" {
		ctx.GOOS = o.GOOS
	}
	if o.GOARCH != "" {
		ctx.GOARCH = o.GOARCH
	}
	if ctx.GOOS != build.Default.GOOS || ctx.GOARCH != build.Default.GOARCH {
		ctx.CgoEnabled = false
	}
	if pl.CgoEnabled != nil {
		ctx.CgoEnabled = *pl.CgoEnabled
	}
	if o.CgoEnabled != nil {
		ctx.CgoEnabled = *o.CgoEnabled
	}
	ctx.BuildTags = append(append([]string(nil), pl.BuildTags...), o.BuildTags...)
	// Only local directories are imported: no GOROOT or GOPATH lookups
	// (which would resolve symlinks for every package).
	ctx.GOROOT = ""
	ctx.HasSubdir = func(root, dir string) (string, bool) { return "", false }
	ctx.ReadDir = func(dir string) ([]fs.FileInfo, error) {
		rel, err := filepath.Rel(ws.Root, dir)
		if err == nil {
			if entries, ok := ws.Dirs[filepath.ToSlash(rel)]; ok {
				return entryInfos(entries), nil
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		return entryInfos(entries), nil
	}
	return ctx
}

type wsView struct{ *workspace.Workspace }

// entryInfo is a fs.FileInfo made from a directory entry without a stat
// call: go/build needs only names and types.
type entryInfo struct{ fs.DirEntry }

func (e entryInfo) Size() int64        { return 0 }
func (e entryInfo) Mode() fs.FileMode  { return e.Type() }
func (e entryInfo) ModTime() time.Time { return time.Time{} }
func (e entryInfo) Sys() any           { return nil }

func entryInfos(entries []fs.DirEntry) []fs.FileInfo {
	infos := make([]fs.FileInfo, len(entries))
	for i, e := range entries {
		infos[i] = entryInfo{e}
	}
	return infos
}

// loadPackages reads every Go directory of the workspace in parallel.
func loadPackages(ctx context.Context, ws *workspace.Workspace, bctx build.Context, o Options) ([]*Package, error) {
	v := &wsView{ws}
	n := o.Parallel
	if n <= 0 {
		n = 4 * runtime.GOMAXPROCS(0)
	}
	pkgs := make([]*Package, len(ws.GoDirs))
	pc := openPkgCache(o.CacheDir, ws, &bctx)
	each := func(fn func(i int)) error {
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < n; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					fn(i)
				}
			}()
		}
		var err error
		for i := range ws.GoDirs {
			if err = ctx.Err(); err != nil {
				break
			}
			next <- i
		}
		close(next)
		wg.Wait()
		return err
	}
	// Fingerprint every directory first, while the cache file is decoded,
	// then reuse or read each package.
	var stamps []string
	var stamped []bool
	if pc != nil {
		stamps, stamped = make([]string, len(ws.GoDirs)), make([]bool, len(ws.GoDirs))
		if err := each(func(i int) { stamps[i], stamped[i] = stamp(ws, ws.GoDirs[i]) }); err != nil {
			return nil, err
		}
	}
	err := each(func(i int) {
		if pc == nil {
			pkgs[i], _ = v.loadPackage(&bctx, ws.GoDirs[i])
			return
		}
		pkgs[i] = v.cachedLoad(pc, &bctx, ws.GoDirs[i], stamps[i], stamped[i])
	})
	if err != nil {
		return nil, err
	}
	if pc != nil {
		pc.save(ws)
	}
	out := pkgs[:0]
	for _, p := range pkgs {
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// cachedLoad reuses the cached package of dir when its Go files are
// unchanged (st is their fingerprint; ok is false when there is none), else
// reads it (and caches it).
func (v *wsView) cachedLoad(pc *pkgCache, bctx *build.Context, dir, st string, ok bool) *Package {
	if ok {
		if p, pats, hit := pc.get(dir, st); hit {
			p.ImportPath = v.ImportPath(dir)
			p.Project = ""
			if owner := v.Owner(dir); owner != nil {
				p.Project = owner.Name
			}
			// The Go files are unchanged, so are their //go:embed
			// patterns; the files they match are looked up again.
			if !pats.empty() {
				v.resolveEmbeds(p, pats)
			}
			return p
		}
	}
	p, pats := v.loadPackage(bctx, dir)
	if ok {
		pc.put(dir, st, p, pats)
	}
	return p
}

// embedPatterns are a package's //go:embed patterns, kept in the package
// cache so that a hit only has to match them again.
type embedPatterns struct {
	Pkg, Test []string
}

func (e embedPatterns) empty() bool { return len(e.Pkg) == 0 && len(e.Test) == 0 }

// resolveEmbeds sets p's EmbedFiles and TestEmbedFiles from the patterns,
// recording the first error in p.Error.
func (v *wsView) resolveEmbeds(p *Package, pats embedPatterns) {
	var err error
	p.EmbedFiles, err = v.embedFiles(p.Dir, pats.Pkg)
	if err != nil && p.Error == "" {
		p.Error = err.Error()
	}
	p.TestEmbedFiles, err = v.embedFiles(p.Dir, pats.Test)
	if err != nil && p.Error == "" {
		p.Error = err.Error()
	}
	p.TestEmbedFiles = minus(p.TestEmbedFiles, p.EmbedFiles)
}

func (v *wsView) loadPackage(bctx *build.Context, dir string) (*Package, embedPatterns) {
	abs := filepath.Join(v.Root, filepath.FromSlash(dir))
	bp, err := bctx.ImportDir(abs, 0)
	p := &Package{ImportPath: v.ImportPath(dir), Dir: dir}
	if owner := v.Owner(dir); owner != nil {
		p.Project = owner.Name
	}
	if bp == nil {
		p.Error = err.Error()
		return p, embedPatterns{}
	}
	var noGo *build.NoGoError
	if err != nil && !errors.As(err, &noGo) {
		p.Error = v.relError(err)
	}
	p.Name = bp.Name
	p.GoFiles = concat(bp.GoFiles, bp.CgoFiles)
	p.TestGoFiles = concat(bp.TestGoFiles, bp.XTestGoFiles)
	p.IgnoredFiles = concat(bp.IgnoredGoFiles, bp.InvalidGoFiles)
	p.Imports = bp.Imports
	p.TestImports = minus(union(bp.TestImports, bp.XTestImports), bp.Imports)
	pats := embedPatterns{Pkg: bp.EmbedPatterns, Test: union(bp.TestEmbedPatterns, bp.XTestEmbedPatterns)}
	v.resolveEmbeds(p, pats)
	p.ImportPos = map[string][]string{}
	for _, m := range []map[string][]token.Position{bp.ImportPos, bp.TestImportPos, bp.XTestImportPos} {
		for imp, list := range m {
			for _, pos := range list {
				p.ImportPos[imp] = append(p.ImportPos[imp], v.relPos(pos))
			}
		}
	}
	return p, pats
}

// relError rewrites absolute paths in a loader error to workspace-relative.
func (v *wsView) relError(err error) string {
	return strings.ReplaceAll(err.Error(), v.Root+string(filepath.Separator), "")
}

func (v *wsView) relPos(p token.Position) string {
	rel, err := filepath.Rel(v.Root, p.Filename)
	if err != nil {
		rel = p.Filename
	}
	return fmt.Sprintf("%s:%d", filepath.ToSlash(rel), p.Line)
}

// embedFiles expands //go:embed patterns of the package in dir into the
// workspace-relative files they match, as the go command does: a matched
// directory contributes its files recursively, except those whose names
// start with '.' or '_' (unless the pattern has the all: prefix).
func (v *wsView) embedFiles(dir string, patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	set := map[string]bool{}
	abs := filepath.Join(v.Root, filepath.FromSlash(dir))
	for _, pat := range patterns {
		all := strings.HasPrefix(pat, "all:")
		pat = strings.TrimPrefix(pat, "all:")
		matches, err := filepath.Glob(filepath.Join(abs, filepath.FromSlash(pat)))
		if err != nil {
			return nil, fmt.Errorf("%s: invalid //go:embed pattern %q: %w", dir, pat, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: //go:embed pattern %q matches no files", dir, pat)
		}
		for _, m := range matches {
			err := filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				name := d.Name()
				if p != m && !all && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if !d.IsDir() {
					rel, _ := filepath.Rel(v.Root, p)
					set[filepath.ToSlash(rel)] = true
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("%s: //go:embed %q: %w", dir, pat, err)
			}
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

func concat(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(append([]string(nil), a...), b...)
	sort.Strings(out)
	return out
}

func union(a, b []string) []string {
	set := map[string]bool{}
	for _, s := range a {
		set[s] = true
	}
	for _, s := range b {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func minus(a, b []string) []string {
	if len(a) == 0 {
		return nil
	}
	drop := map[string]bool{}
	for _, s := range b {
		drop[s] = true
	}
	var out []string
	for _, s := range a {
		if !drop[s] {
			out = append(out, s)
		}
	}
	return out
}
