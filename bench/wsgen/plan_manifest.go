package wsgen

import (
	"slices"
	"sort"
)

// manifest describes the plan.
func (p *plan) manifest() *Manifest {
	m := &Manifest{Module: p.spec.Module, Spec: p.spec}
	names := func(idx []int) []string {
		out := make([]string, 0, len(idx))
		for _, i := range idx {
			out = append(out, p.libs[i].projectName())
		}
		sort.Strings(out)
		return slices.Compact(out)
	}
	var apps, libs []Project
	for _, a := range p.apps {
		base := p.spec.Module + "/" + relPath("apps", a.name)
		pr := Project{Name: a.name, Type: TypeApp, Dir: relPath("apps", a.name), Tags: []string{"type:app"},
			Packages: []string{base, base + "/internal/config"}}
		imp := append(slices.Clone(a.deps), a.configDep)
		if a.handlerDep >= 0 {
			pr.Packages = append(pr.Packages, base+"/internal/handler")
			imp = append(imp, a.handlerDep)
		}
		pr.Imports = names(imp)
		if a.testDep >= 0 && !slices.Contains(imp, a.testDep) {
			pr.TestImports = names([]int{a.testDep})
			pr.Traits = append(pr.Traits, "testimports")
		}
		sort.Strings(pr.Packages)
		apps = append(apps, pr)
	}
	for _, l := range p.libs {
		pr := Project{Name: l.projectName(), Type: l.typ, Scope: l.scope, Dir: l.dir(),
			Tags: []string{"scope:" + l.scope, "type:" + l.typ}, Packages: []string{p.importPath(l)}}
		imp := slices.Clone(l.deps)
		if l.linuxDep >= 0 {
			imp = append(imp, l.linuxDep)
			pr.Traits = append(pr.Traits, "buildtags")
			pr.WindowsImports = names(without(l.winDeps, imp))
		}
		pr.Imports = names(imp)
		test := without(append(slices.Clone(l.testDeps), l.xtestDeps...), imp)
		pr.TestImports = names(test)
		if len(l.testDeps) > 0 {
			pr.Traits = append(pr.Traits, "testimports")
		}
		for _, e := range l.ext {
			for _, x := range p.ext {
				if slices.Contains(x.pkgs, e) && !slices.Contains(pr.Modules, x.path) {
					pr.Modules = append(pr.Modules, x.path)
				}
			}
		}
		sort.Strings(pr.Modules)
		if l.embed {
			pr.Traits = append(pr.Traits, "embed")
		}
		if l.testdata {
			pr.Traits = append(pr.Traits, "testdata")
		}
		if l.xtest {
			pr.Traits = append(pr.Traits, "xtest")
		}
		sort.Strings(pr.Traits)
		libs = append(libs, pr)
	}
	byName := func(ps []Project) { sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name }) }
	byName(apps)
	byName(libs)
	m.Projects = append(apps, libs...)
	for _, x := range p.ext {
		em := ExternalModule{Path: x.path, Dir: x.dir, Version: extVersion}
		for _, pr := range libs {
			if slices.Contains(pr.Modules, x.path) {
				em.Importers = append(em.Importers, pr.Name)
			}
		}
		m.External = append(m.External, em)
	}
	m.Changes = p.changes(m)
	return m
}

// dependents counts, for every project, the projects that reach it through
// non-test imports.
func dependents(m *Manifest) map[string]int {
	rev := make(map[string][]string)
	for _, pr := range m.Projects {
		for _, d := range pr.Imports {
			rev[d] = append(rev[d], pr.Name)
		}
	}
	out := make(map[string]int)
	for _, pr := range m.Projects {
		seen := map[string]bool{}
		stack := []string{pr.Name}
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, d := range rev[n] {
				if !seen[d] {
					seen[d] = true
					stack = append(stack, d)
				}
			}
		}
		out[pr.Name] = len(seen)
	}
	return out
}

// changes picks one candidate per change kind.
func (p *plan) changes(m *Manifest) []Change {
	deps := dependents(m)
	var out []Change
	add := func(k ChangeKind, l *lib, file string) {
		out = append(out, Change{Kind: k, Project: l.projectName(), Files: []string{l.dir() + "/" + file}})
	}
	// The root util is the core library with the most dependents.
	root := p.libs[p.core[0]]
	for _, c := range p.core {
		if deps[p.libs[c].projectName()] > deps[root.projectName()] {
			root = p.libs[c]
		}
	}
	add(ChangeRootUtil, root, root.mainFile())
	add(ChangeTestOnly, root, root.testFile())
	add(ChangeNonGo, root, "README.md")

	// A leaf feature: no library imports it, and apps preferably do.
	imported := make(map[int]bool)
	for _, l := range p.libs {
		for _, set := range [][]int{l.deps, l.testDeps, l.xtestDeps, l.winDeps, {l.linuxDep}} {
			for _, d := range set {
				imported[d] = true
			}
		}
	}
	var leaf *lib
	for _, i := range p.byType[TypeFeature] {
		l := p.libs[i]
		if imported[i] {
			continue
		}
		if leaf == nil || deps[l.projectName()] > deps[leaf.projectName()] {
			leaf = l
		}
	}
	if leaf != nil {
		add(ChangeLeafFeature, leaf, leaf.mainFile())
	}
	if len(p.apps) > 0 {
		out = append(out, Change{Kind: ChangeAppOnly, Project: p.apps[0].name, Files: []string{relPath("apps", p.apps[0].name, "main.go")}})
	}

	// Mid-graph libraries: the median of those with dependents.
	var mid []*lib
	for _, l := range p.libs {
		if deps[l.projectName()] > 0 && l != root {
			mid = append(mid, l)
		}
	}
	sort.SliceStable(mid, func(i, j int) bool { return deps[mid[i].projectName()] < deps[mid[j].projectName()] })
	if len(mid) > 0 {
		a := mid[len(mid)/2]
		add(ChangeNewFile, a, "added.go")
		b := mid[(len(mid)/2+1)%len(mid)]
		add(ChangeDeletedFile, b, "doc.go")
	}
	if len(m.External) > 0 {
		e := m.External[0]
		out = append(out, Change{Kind: ChangeModBump, Files: []string{"go.mod"}, Module: e.Path, Version: "v1.0.1"})
	}
	for _, l := range p.libs {
		if l.embed {
			add(ChangeEmbed, l, "data/defaults.json")
			break
		}
	}
	for _, l := range p.libs {
		if l.testdata {
			add(ChangeTestdata, l, "testdata/golden.txt")
			break
		}
	}
	for _, l := range p.libs {
		if l.linuxDep >= 0 {
			add(ChangeWindowsOnly, l, "platform_windows.go")
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}
