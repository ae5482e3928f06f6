package task

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/mod/modfile"

	"github.com/centuria/centuria/tools/cent/pkg/affected"
	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// keyVersion changes whenever the key derivation changes, so old entries
// can never match.
const keyVersion = "cent-task-v1"

// goEnvVars are the go command settings that are part of every key.
var goEnvVars = []string{"GOVERSION", "GOOS", "GOARCH", "GOFLAGS", "CGO_ENABLED", "GOEXPERIMENT", "GOAMD64", "GOARM64", "GO386", "GOARM"}

// GoEnv asks the go command for the settings that are part of every key.
func GoEnv(ctx context.Context, dir string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"env", "-json"}, goEnvVars...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	env := map[string]string{}
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	return env, nil
}

// Keyer computes task keys.
type Keyer struct {
	Graph *graph.Graph
	Files *FileHasher
	// GoEnv holds the go command settings (see GoEnv).
	GoEnv map[string]string
	// Getenv reads declared environment variables.
	Getenv func(string) string
	// ModCache is GOMODCACHE, for the module requirement graph.
	ModCache string

	byProject map[string][]string // project -> its candidate files
	inputMemo map[string]string   // project + "\x00" + named input -> hash
	globMemo  map[string][]string // glob -> matching files
	sumMemo   map[string]string   // module dir + roots -> hash
	modMemo   map[string]map[*workspace.Module][]string
	depMemo   map[string][]string
	sumLines  map[string][]string // module dir -> go.sum lines
	local     map[string]*modfile.File
}

func (k *Keyer) init() {
	if k.byProject != nil {
		return
	}
	k.byProject = map[string][]string{}
	k.inputMemo = map[string]string{}
	k.globMemo = map[string][]string{}
	k.sumMemo = map[string]string{}
	k.modMemo = map[string]map[*workspace.Module][]string{}
	k.depMemo = map[string][]string{}
	k.sumLines = map[string][]string{}
	ws := k.Graph.Workspace
	for _, f := range k.Files.Files() {
		if p := ws.Owner(f); p != nil {
			k.byProject[p.Name] = append(k.byProject[p.Name], f)
		}
	}
}

// Compute sets Key and Inputs of every task of the plan.
func (k *Keyer) Compute(ctx context.Context, p *Plan) error {
	k.init()
	for _, t := range p.Tasks { // deps come first
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := k.manifest(t)
		if err != nil {
			return fmt.Errorf("%s: %w", t.ID, err)
		}
		t.Inputs = m
		t.Key = digestManifest(m)
	}
	return nil
}

func digestManifest(m map[string]string) cache.Digest {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(keyVersion + "\n"))
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(m[k]))
		h.Write([]byte{'\n'})
	}
	var d cache.Digest
	copy(d[:], h.Sum(nil))
	return d
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func (k *Keyer) manifest(t *Task) (map[string]string, error) {
	ws := k.Graph.Workspace
	m := map[string]string{}
	def, _ := json.Marshal(struct {
		Command   string
		DependsOn []string
		Inputs    []string
		Outputs   []string
		Env       []string
		Extra     []string
	}{t.Command, t.Def.DependsOn, t.Def.Inputs, t.Outputs, t.Def.Env, t.Project.Inputs})
	m["target"] = sum(string(def))
	for _, v := range goEnvVars {
		m["go:"+v] = k.GoEnv[v]
	}
	for _, e := range t.Def.Env {
		val := ""
		if k.Getenv != nil {
			val = k.Getenv(e)
		}
		m["env:"+e] = sum(val)
	}
	matcher, err := ws.Inputs(t.Project, append(append([]string(nil), t.Def.Inputs...), t.Project.Inputs...))
	if err != nil {
		return nil, err
	}
	files, err := k.matchFiles(t.Project, matcher)
	if err != nil {
		return nil, err
	}
	testFiles := false
	for f, id := range files {
		m["file:"+f] = id
		testFiles = testFiles || strings.HasSuffix(f, "_test.go")
	}
	// Dependency projects: their inputs always count, transitively.
	depInputs := matcher.DependencyInputs()
	if len(depInputs) == 0 {
		depInputs = []string{"default"}
	}
	for _, dep := range k.depProjects(t.Project.Name, testFiles) {
		dp, err := ws.Project(dep)
		if err != nil {
			return nil, err
		}
		for _, name := range depInputs {
			h, err := k.projectInput(dp, name)
			if err != nil {
				return nil, err
			}
			m["dep:"+dep+":"+name] = h
		}
	}
	for _, d := range t.Deps {
		m["task:"+d.ID] = d.Key.String()
	}
	gs, err := k.goSum(t.Project.Name, testFiles)
	if err != nil {
		return nil, err
	}
	m["gosum"] = gs
	return m, nil
}

// matchFiles returns the project's input files with their ids.
func (k *Keyer) matchFiles(p *workspace.Project, m *workspace.Matcher) (map[string]string, error) {
	out := map[string]string{}
	add := func(f string) error {
		if _, done := out[f]; done || !m.Match(f) {
			return nil
		}
		id, err := k.Files.ID(f)
		if err != nil {
			return err
		}
		if id != "" {
			out[f] = id
		}
		return nil
	}
	for _, f := range k.byProject[p.Name] {
		if err := add(f); err != nil {
			return nil, err
		}
	}
	include, _ := m.Globs()
	for _, g := range include {
		base := strings.TrimSuffix(strings.SplitN(g, "*", 2)[0], "/")
		if p.Contains(base) {
			continue
		}
		for _, f := range k.globFiles(g) {
			if err := add(f); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// globFiles returns the workspace files matching a glob (memoized; a glob
// without wildcards is looked up directly).
func (k *Keyer) globFiles(g string) []string {
	if files, ok := k.globMemo[g]; ok {
		return files
	}
	var files []string
	if !strings.ContainsAny(g, "*?[{\\") {
		all := k.Files.Files()
		if i := sort.SearchStrings(all, g); i < len(all) && all[i] == g {
			files = []string{g}
		}
	} else {
		for _, f := range k.Files.Files() {
			if ok, _ := doublestar.Match(g, f); ok {
				files = append(files, f)
			}
		}
	}
	k.globMemo[g] = files
	return files
}

// depProjects returns the projects a project depends on, transitively:
// through imports and implicit dependencies, and through test imports too
// when the target's inputs include test files.
func (k *Keyer) depProjects(project string, withTests bool) []string {
	memo := project
	if withTests {
		memo += "\x00test"
	}
	if d, ok := k.depMemo[memo]; ok {
		return d
	}
	d := k.computeDepProjects(project, withTests)
	k.depMemo[memo] = d
	return d
}

func (k *Keyer) computeDepProjects(project string, withTests bool) []string {
	if !withTests {
		return k.Graph.TransitiveDeps(project, graph.Import, graph.Implicit)
	}
	set := map[string]bool{}
	for _, d := range k.Graph.Deps(project) {
		set[d.Target] = true
		for _, t := range k.Graph.TransitiveDeps(d.Target, graph.Import, graph.Implicit) {
			set[t] = true
		}
	}
	delete(set, project)
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// projectInput hashes a project's named input (memoized).
func (k *Keyer) projectInput(p *workspace.Project, name string) (string, error) {
	memo := p.Name + "\x00" + name
	if h, ok := k.inputMemo[memo]; ok {
		return h, nil
	}
	m, err := k.Graph.Workspace.Inputs(p, append([]string{name}, p.Inputs...))
	if err != nil {
		return "", err
	}
	files, err := k.matchFiles(p, m)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, f := range names {
		b.WriteString(f + "\x00" + files[f] + "\n")
	}
	h := sum(b.String())
	k.inputMemo[memo] = h
	return h, nil
}

// goSum hashes the go.mod requirements and go.sum lines of the external
// modules the project and its dependencies use, with everything those
// modules require. When the module graph is unknown it hashes them all.
func (k *Keyer) goSum(project string, withTests bool) (string, error) {
	projects := append([]string{project}, k.depProjects(project, withTests)...)
	roots := map[*workspace.Module][]string{}
	for _, pr := range projects {
		for m, mods := range k.projectModules(pr, withTests && pr == project) {
			roots[m] = append(roots[m], mods...)
		}
	}
	mods := make([]*workspace.Module, 0, len(roots))
	for m := range roots {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Dir < mods[j].Dir })
	var b strings.Builder
	for _, m := range mods {
		rs := roots[m]
		sort.Strings(rs)
		rs = compactStrings(rs)
		h, err := k.moduleSum(m, rs)
		if err != nil {
			return "", err
		}
		b.WriteString(h + "\n")
	}
	return sum(b.String()), nil
}

// projectModules returns, per workspace module, the external modules the
// project's packages import (memoized).
func (k *Keyer) projectModules(project string, withTests bool) map[*workspace.Module][]string {
	memo := project
	if withTests {
		memo += "\x00test"
	}
	if m, ok := k.modMemo[memo]; ok {
		return m
	}
	out := map[*workspace.Module][]string{}
	for _, p := range k.Graph.PackagesOf(project) {
		mod := k.Graph.Workspace.ModuleForDir(p.Dir)
		if mod == nil {
			continue
		}
		out[mod] = append(out[mod], p.Modules...)
		if withTests {
			out[mod] = append(out[mod], p.TestModules...)
		}
	}
	k.modMemo[memo] = out
	return out
}

// moduleSum hashes, for one workspace module, its go directive and the
// go.mod and go.sum lines of the modules roots need (memoized by roots).
func (k *Keyer) moduleSum(m *workspace.Module, roots []string) (string, error) {
	memo := m.Dir + "\x00" + strings.Join(roots, " ")
	if h, ok := k.sumMemo[memo]; ok {
		return h, nil
	}
	ws := k.Graph.Workspace
	if k.local == nil {
		k.local = map[string]*modfile.File{}
		for _, wm := range ws.Modules {
			k.local[wm.Path] = wm.File
		}
	}
	lines, ok := k.sumLines[m.Dir]
	if !ok {
		data, err := os.ReadFile(filepath.Join(ws.Root, filepath.FromSlash(m.Dir), "go.sum"))
		if err != nil && !os.IsNotExist(err) {
			return "", err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 {
				lines = append(lines, sc.Text())
			}
		}
		sort.Strings(lines)
		k.sumLines[m.Dir] = lines
	}
	reqs := affected.EffectiveRequirements(m.File)
	mg := affected.ModuleGraph{ModCache: k.ModCache, Local: k.local}
	need, known := mg.Requirements(reqs, roots)
	use := func(mod string) bool { return !known || need[mod] }
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n", m.Path)
	if m.File.Go != nil {
		fmt.Fprintf(&b, "go %s\n", m.File.Go.Version)
	}
	for _, r := range m.File.Require {
		if use(r.Mod.Path) {
			fmt.Fprintf(&b, "require %s %s\n", r.Mod.Path, r.Mod.Version)
		}
	}
	for _, r := range m.File.Replace {
		if use(r.Old.Path) {
			fmt.Fprintf(&b, "replace %s %s => %s %s\n", r.Old.Path, r.Old.Version, r.New.Path, r.New.Version)
		}
	}
	for _, l := range lines {
		if use(l[:strings.IndexByte(l, ' ')]) {
			b.WriteString(l + "\n")
		}
	}
	h := sum(b.String())
	k.sumMemo[memo] = h
	return h, nil
}
