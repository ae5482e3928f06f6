package affected

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// ModChange is the result of comparing two versions of a go.mod (and go.sum).
type ModChange struct {
	// All is set when the change affects every package: the go directive,
	// toolchain, or something that could not be parsed.
	All    bool
	Reason string
	// Modules are the module paths whose requirement, replacement or
	// exclusion changed, or whose go.sum lines changed.
	Modules []string
}

// DiffGoMod compares two go.mod contents. A nil side means the file did not
// exist (it was added or deleted), which affects everything.
func DiffGoMod(file string, old, new []byte) ModChange {
	if old == nil || new == nil {
		return ModChange{All: true, Reason: file + " was added or deleted"}
	}
	of, err1 := modfile.Parse(file, old, nil)
	nf, err2 := modfile.Parse(file, new, nil)
	if err1 != nil || err2 != nil {
		return ModChange{All: true, Reason: file + " could not be parsed at one side of the change"}
	}
	if goVersion(of) != goVersion(nf) {
		return ModChange{All: true, Reason: file + ": go directive changed"}
	}
	if toolchain(of) != toolchain(nf) {
		return ModChange{All: true, Reason: file + ": toolchain changed"}
	}
	if modPath(of) != modPath(nf) {
		return ModChange{All: true, Reason: file + ": module path changed"}
	}
	if godebug(of) != godebug(nf) {
		return ModChange{All: true, Reason: file + ": godebug changed"}
	}
	set := map[string]bool{}
	diffMap(requires(of), requires(nf), set)
	diffMap(replaces(of), replaces(nf), set)
	diffMap(excludes(of), excludes(nf), set)
	return ModChange{Modules: sortedSet(set)}
}

// DiffGoSum compares two go.sum contents and returns the module paths whose
// lines differ.
func DiffGoSum(old, new []byte) []string {
	a, b := sumLines(old), sumLines(new)
	set := map[string]bool{}
	for l := range a {
		if !b[l] {
			set[strings.Fields(l)[0]] = true
		}
	}
	for l := range b {
		if !a[l] {
			set[strings.Fields(l)[0]] = true
		}
	}
	return sortedSet(set)
}

func sumLines(data []byte) map[string]bool {
	out := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if len(strings.Fields(l)) == 3 {
			out[l] = true
		}
	}
	return out
}

func goVersion(f *modfile.File) string {
	if f.Go == nil {
		return ""
	}
	return f.Go.Version
}

func toolchain(f *modfile.File) string {
	if f.Toolchain == nil {
		return ""
	}
	return f.Toolchain.Name
}

func modPath(f *modfile.File) string {
	if f.Module == nil {
		return ""
	}
	return f.Module.Mod.Path
}

func godebug(f *modfile.File) string {
	var parts []string
	for _, d := range f.Godebug {
		parts = append(parts, d.Key+"="+d.Value)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func requires(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, r := range f.Require {
		m[r.Mod.Path] = r.Mod.Version
	}
	return m
}

func replaces(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, r := range f.Replace {
		m[r.Old.Path] += r.Old.Version + "=>" + r.New.Path + "@" + r.New.Version + ";"
	}
	return m
}

func excludes(f *modfile.File) map[string]string {
	m := map[string]string{}
	for _, e := range f.Exclude {
		m[e.Mod.Path] += e.Mod.Version + ";"
	}
	return m
}

func diffMap(a, b map[string]string, out map[string]bool) {
	for k, v := range a {
		if b[k] != v {
			out[k] = true
		}
	}
	for k, v := range b {
		if a[k] != v {
			out[k] = true
		}
	}
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ModuleGraph answers which required modules depend, directly or not, on a
// module, from the go.mod files in the module cache (GOMODCACHE/cache/download).
type ModuleGraph struct {
	// ModCache is GOMODCACHE; empty disables the lookup (everything that
	// could depend on a changed module is then assumed to).
	ModCache string
	// Local holds the go.mod files of workspace modules, by module path; they
	// are read from the workspace, not the cache.
	Local map[string]*modfile.File
}

// Dependents returns the modules among reqs (module path -> the module
// version whose go.mod applies, after replacements) that require any of
// changed, transitively within reqs, plus changed itself. ok is false when a
// go.mod needed for the answer is missing from the cache; the caller must then
// assume every module is affected.
func (mg ModuleGraph) Dependents(reqs map[string]module.Version, changed []string) (affected map[string]bool, ok bool) {
	affected = map[string]bool{}
	for _, c := range changed {
		affected[c] = true
	}
	if mg.ModCache == "" {
		return affected, false
	}
	edges := map[string][]string{} // module -> modules it requires (among reqs)
	for p, v := range reqs {
		f, ok := mg.Local[p]
		if !ok {
			data, err := mg.readMod(v.Path, v.Version)
			if err != nil {
				return affected, false
			}
			if f, err = modfile.ParseLax(v.Path+"@"+v.Version+"/go.mod", data, nil); err != nil {
				return affected, false
			}
		}
		for _, r := range f.Require {
			if _, in := reqs[r.Mod.Path]; in || affected[r.Mod.Path] {
				edges[p] = append(edges[p], r.Mod.Path)
			}
		}
	}
	for changedAny := true; changedAny; {
		changedAny = false
		for p, deps := range edges {
			if affected[p] {
				continue
			}
			for _, d := range deps {
				if affected[d] {
					affected[p], changedAny = true, true
					break
				}
			}
		}
	}
	return affected, true
}

func (mg ModuleGraph) readMod(path, version string) ([]byte, error) {
	ep, err := module.EscapePath(path)
	if err != nil {
		return nil, err
	}
	ev, err := module.EscapeVersion(version)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(mg.ModCache, "cache", "download", filepath.FromSlash(ep), "@v", ev+".mod")
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("go.mod of %s@%s not in the module cache: %w", path, version, err)
	}
	return data, nil
}

// Requirements returns roots and every module they require, transitively,
// among reqs (module path -> the version whose go.mod applies). ok is false
// when a needed go.mod is missing from the cache; the caller must then assume
// every module in reqs is required.
func (mg ModuleGraph) Requirements(reqs map[string]module.Version, roots []string) (set map[string]bool, ok bool) {
	set = map[string]bool{}
	queue := append([]string(nil), roots...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if set[p] {
			continue
		}
		set[p] = true
		v, known := reqs[p]
		if !known {
			continue
		}
		f, isLocal := mg.Local[p]
		if !isLocal {
			if mg.ModCache == "" {
				return set, false
			}
			data, err := mg.readMod(v.Path, v.Version)
			if err != nil {
				return set, false
			}
			if f, err = modfile.ParseLax(v.Path+"@"+v.Version+"/go.mod", data, nil); err != nil {
				return set, false
			}
		}
		for _, r := range f.Require {
			if _, in := reqs[r.Mod.Path]; in && !set[r.Mod.Path] {
				queue = append(queue, r.Mod.Path)
			}
		}
	}
	return set, true
}

// EffectiveRequirements maps each requirement of a go.mod to the module
// version whose go.mod applies, after replace directives.
func EffectiveRequirements(f *modfile.File) map[string]module.Version {
	reqs := map[string]module.Version{}
	for _, r := range f.Require {
		v := r.Mod
		for _, rep := range f.Replace {
			if rep.Old.Path == v.Path && (rep.Old.Version == "" || rep.Old.Version == v.Version) && rep.New.Version != "" {
				v = rep.New
			}
		}
		reqs[r.Mod.Path] = v
	}
	return reqs
}
