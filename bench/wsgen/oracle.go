package wsgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// Affected is the oracle's answer.
type Affected struct {
	// Packages are the sorted import paths of the main module's packages
	// whose build or tests the change affects: the packages owning a
	// changed input, and every package whose non-test or test dependencies
	// (under the current GOOS/GOARCH) include a package whose non-test
	// inputs changed. A package whose test files or testdata alone changed
	// is affected, its dependents are not.
	Packages []string `json:"packages"`
	// Ignored are the changed files that are an input of no package under
	// the current build context: documentation, files excluded by build
	// constraints, go.sum, unchanged go.mod entries.
	Ignored []string `json:"ignored"`
}

// OracleOption configures Oracle.
type OracleOption func(*oracleConfig) error

type oracleConfig struct {
	base    string
	baseMod []byte
	goCmd   string
}

// WithBase sets the git revision whose go.mod the oracle compares a changed
// root go.mod with; the default is HEAD~1. An empty revision or one that
// starts with "-" is an error wrapping ErrInvalidOption.
func WithBase(rev string) OracleOption {
	return func(c *oracleConfig) error {
		if rev == "" || strings.HasPrefix(rev, "-") {
			return fmt.Errorf("base revision %q: %w", rev, ErrInvalidOption)
		}
		c.base = rev
		return nil
	}
}

// WithBaseGoMod gives the previous content of the root go.mod directly,
// for workspaces that are no git repositories.
func WithBaseGoMod(data []byte) OracleOption {
	return func(c *oracleConfig) error {
		c.baseMod = data
		return nil
	}
}

// listedPackage holds the go list fields the oracle reads.
type listedPackage struct {
	ImportPath string
	Name       string
	Dir        string
	ForTest    string
	Standard   bool
	Module     *struct {
		Path, Dir string
		Main      bool
	}
	GoFiles         []string
	CgoFiles        []string
	CFiles          []string
	HFiles          []string
	SFiles          []string
	SysoFiles       []string
	OtherFiles      []string
	EmbedFiles      []string
	TestGoFiles     []string
	XTestGoFiles    []string
	TestEmbedFiles  []string
	XTestEmbedFiles []string
	Deps            []string
}

// goListFields are the fields passed to go list -json=.
const goListFields = "ImportPath,Name,Dir,ForTest,Standard,Module,GoFiles,CgoFiles,CFiles,HFiles,SFiles,SysoFiles,OtherFiles,EmbedFiles,TestGoFiles,XTestGoFiles,TestEmbedFiles,XTestEmbedFiles,Deps"

// defaultOracleTimeout bounds go list when ctx has no deadline.
const defaultOracleTimeout = 5 * time.Minute

// Oracle computes which packages of the workspace at dir the changed files
// (workspace-relative, slash-separated, as git diff --name-only prints
// them; deleted files included) affect, using
// `go list -deps -test -json ./...` on the current tree. A changed root
// go.mod is compared with its previous content (see WithBase and
// WithBaseGoMod): a changed go or toolchain line affects every package, a
// changed require or replace affects the packages importing that module.
// Any other changed go.mod affects every package of its module. It returns
// errors wrapping ErrGoList, ErrNoBaseGoMod or ErrInvalidOption.
func Oracle(ctx context.Context, dir string, changed []string, opts ...OracleOption) (*Affected, error) {
	cfg := oracleConfig{base: "HEAD~1", goCmd: "go"}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultOracleTimeout)
		defer cancel()
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	pkgs, err := goList(ctx, cfg.goCmd, root)
	if err != nil {
		return nil, err
	}
	o := newOracleIndex(root, pkgs)
	res := &Affected{Packages: []string{}, Ignored: []string{}}
	for _, f := range changed {
		f = path.Clean(filepath.ToSlash(f))
		var hit bool
		switch {
		case f == "go.mod":
			hit, err = o.rootGoMod(ctx, cfg, root)
		case path.Base(f) == "go.mod":
			hit = o.nestedGoMod(path.Dir(f))
		default:
			hit = o.file(f)
		}
		if err != nil {
			return nil, err
		}
		if !hit {
			res.Ignored = append(res.Ignored, f)
		}
	}
	res.Packages = o.closure()
	sort.Strings(res.Ignored)
	return res, nil
}

func goList(ctx context.Context, goCmd, root string) ([]*listedPackage, error) {
	cmd := exec.CommandContext(ctx, goCmd, "list", "-deps", "-test", "-json="+goListFields, "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps -test in %s: %v: %s: %w", root, err, bytes.TrimSpace(stderr.Bytes()), ErrGoList)
	}
	var pkgs []*listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("decoding go list output: %v: %w", err, ErrGoList)
		}
		pkgs = append(pkgs, &p)
	}
	return pkgs, nil
}

// oracleIndex maps files to packages and holds the change being built up.
type oracleIndex struct {
	root  string
	pkgs  []*listedPackage
	src   map[string]string // workspace file -> package whose non-test inputs include it
	test  map[string]string // workspace file -> package whose tests include it
	dirs  map[string]string // workspace dir -> package (non-test variants only)
	mods  map[string][]string
	modOf map[string]string // module dir (workspace-relative) -> module path
	// changedSrc are packages whose non-test inputs changed: they and
	// their dependents are affected.
	changedSrc map[string]bool
	// changedTest are packages whose tests alone changed.
	changedTest map[string]bool
}

func newOracleIndex(root string, pkgs []*listedPackage) *oracleIndex {
	o := &oracleIndex{root: root, pkgs: pkgs, src: map[string]string{}, test: map[string]string{},
		dirs: map[string]string{}, mods: map[string][]string{}, modOf: map[string]string{},
		changedSrc: map[string]bool{}, changedTest: map[string]bool{}}
	for _, p := range pkgs {
		if p.ForTest != "" || p.Standard || strings.HasSuffix(p.ImportPath, ".test") {
			continue
		}
		rel, ok := o.rel(p.Dir)
		if !ok {
			continue
		}
		o.dirs[rel] = p.ImportPath
		if p.Module != nil {
			o.mods[p.Module.Path] = append(o.mods[p.Module.Path], p.ImportPath)
			if mrel, ok := o.rel(p.Module.Dir); ok {
				o.modOf[mrel] = p.Module.Path
			}
		}
		for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.HFiles, p.SFiles, p.SysoFiles, p.OtherFiles, p.EmbedFiles} {
			for _, f := range list {
				o.src[path.Join(rel, f)] = p.ImportPath
			}
		}
		for _, list := range [][]string{p.TestGoFiles, p.XTestGoFiles, p.TestEmbedFiles, p.XTestEmbedFiles} {
			for _, f := range list {
				o.test[path.Join(rel, f)] = p.ImportPath
			}
		}
	}
	return o
}

// rel returns abs relative to the workspace root, if inside it.
func (o *oracleIndex) rel(abs string) (string, bool) {
	r, err := filepath.Rel(o.root, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// file records a changed file and reports whether it is a package input.
func (o *oracleIndex) file(f string) bool {
	if p, ok := o.src[f]; ok {
		o.changedSrc[p] = true
		return true
	}
	if p, ok := o.test[f]; ok {
		o.changedTest[p] = true
		return true
	}
	// Files under a package's testdata/ are inputs of its tests.
	for d := path.Dir(f); d != "." && d != "/"; d = path.Dir(d) {
		if path.Base(d) == "testdata" {
			if p, ok := o.dirs[path.Dir(d)]; ok {
				o.changedTest[p] = true
				return true
			}
		}
	}
	// A deleted Go file changed its package's file set.
	if strings.HasSuffix(f, ".go") {
		if _, err := os.Stat(filepath.Join(o.root, filepath.FromSlash(f))); errors.Is(err, os.ErrNotExist) {
			if p, ok := o.dirs[path.Dir(f)]; ok {
				if strings.HasSuffix(f, "_test.go") {
					o.changedTest[p] = true
				} else {
					o.changedSrc[p] = true
				}
				return true
			}
		}
	}
	return false
}

// nestedGoMod marks every package of the module in dir as changed.
func (o *oracleIndex) nestedGoMod(dir string) bool {
	mod, ok := o.modOf[dir]
	if !ok {
		return false
	}
	for _, p := range o.mods[mod] {
		o.changedSrc[p] = true
	}
	return len(o.mods[mod]) > 0
}

// rootGoMod compares the root go.mod with its previous content.
func (o *oracleIndex) rootGoMod(ctx context.Context, cfg oracleConfig, root string) (bool, error) {
	oldData := cfg.baseMod
	if oldData == nil {
		cmd := exec.CommandContext(ctx, "git", "show", cfg.base+":go.mod")
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return false, fmt.Errorf("git show %s:go.mod: %v: %w", cfg.base, err, ErrNoBaseGoMod)
		}
		oldData = out
	}
	newData, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return false, fmt.Errorf("reading go.mod: %w", err)
	}
	oldF, err := modfile.Parse("go.mod (base)", oldData, nil)
	if err != nil {
		return false, fmt.Errorf("parsing previous go.mod: %w", err)
	}
	newF, err := modfile.Parse("go.mod", newData, nil)
	if err != nil {
		return false, fmt.Errorf("parsing go.mod: %w", err)
	}
	if goLine(oldF) != goLine(newF) || modPath(oldF) != modPath(newF) {
		for _, p := range o.pkgs {
			if p.ForTest == "" && !p.Standard {
				o.changedSrc[p.ImportPath] = true
			}
		}
		return true, nil
	}
	hit := false
	for mod := range changedModules(oldF, newF) {
		for _, p := range o.mods[mod] {
			o.changedSrc[p] = true
			hit = true
		}
	}
	return hit, nil
}

func goLine(f *modfile.File) string {
	s := ""
	if f.Go != nil {
		s = f.Go.Version
	}
	if f.Toolchain != nil {
		s += " " + f.Toolchain.Name
	}
	return s
}

func modPath(f *modfile.File) string {
	if f.Module == nil {
		return ""
	}
	return f.Module.Mod.Path
}

// changedModules lists the module paths whose require or replace differ.
func changedModules(a, b *modfile.File) map[string]bool {
	state := func(f *modfile.File) map[string]string {
		m := make(map[string]string)
		for _, r := range f.Require {
			m[r.Mod.Path] += "require " + r.Mod.Version + ";"
		}
		for _, r := range f.Replace {
			m[r.Old.Path] += "replace " + r.Old.Version + "=>" + r.New.Path + "@" + r.New.Version + ";"
		}
		return m
	}
	sa, sb := state(a), state(b)
	out := make(map[string]bool)
	for k, v := range sa {
		if sb[k] != v {
			out[k] = true
		}
	}
	for k, v := range sb {
		if sa[k] != v {
			out[k] = true
		}
	}
	return out
}

// closure returns the main-module packages the recorded changes affect.
func (o *oracleIndex) closure() []string {
	affected := make(map[string]bool)
	for p := range o.changedTest {
		affected[p] = true
	}
	for _, p := range o.pkgs {
		if p.Standard {
			continue
		}
		hit := o.changedSrc[variantBase(p.ImportPath)]
		for _, d := range p.Deps {
			if hit {
				break
			}
			hit = o.changedSrc[variantBase(d)]
		}
		if hit {
			affected[owner(p)] = true
		}
	}
	var out []string
	for _, p := range o.pkgs {
		if p.ForTest == "" && p.Module != nil && p.Module.Main && affected[p.ImportPath] && !strings.HasSuffix(p.ImportPath, ".test") {
			out = append(out, p.ImportPath)
		}
	}
	sort.Strings(out)
	return out
}

// variantBase strips the " [p.test]" suffix of a test variant.
func variantBase(importPath string) string {
	if i := strings.Index(importPath, " ["); i >= 0 {
		return importPath[:i]
	}
	return importPath
}

// owner is the package a listed entry belongs to: test variants, external
// test packages and test mains belong to the package under test.
func owner(p *listedPackage) string {
	if p.ForTest != "" {
		return p.ForTest
	}
	if p.Name == "main" && strings.HasSuffix(p.ImportPath, ".test") {
		return strings.TrimSuffix(p.ImportPath, ".test")
	}
	return variantBase(p.ImportPath)
}
