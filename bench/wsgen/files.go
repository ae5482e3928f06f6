package wsgen

import (
	"fmt"
	"sort"
	"strings"
)

// fileSet collects the generated files by workspace-relative path.
type fileSet map[string]string

// importLine is one aliased import.
type importLine struct{ alias, path string }

// goFile renders a Go source file.
func goFile(header, pkg string, imports []importLine, body string) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n", pkg)
	if len(imports) > 0 {
		sort.Slice(imports, func(i, j int) bool { return imports[i].path < imports[j].path })
		b.WriteString("\nimport (\n")
		for _, im := range imports {
			if im.alias == "" {
				fmt.Fprintf(&b, "\t%q\n", im.path)
			} else {
				fmt.Fprintf(&b, "\t%s %q\n", im.alias, im.path)
			}
		}
		b.WriteString(")\n")
	}
	if body != "" {
		b.WriteString("\n")
		b.WriteString(body)
	}
	return b.String()
}

func (p *plan) importPath(l *lib) string { return p.spec.Module + "/" + l.dir() }

func (p *plan) libImports(idx []int) []importLine {
	out := make([]importLine, 0, len(idx))
	for _, i := range idx {
		out = append(out, importLine{p.libs[i].pkg, p.importPath(p.libs[i])})
	}
	return out
}

// nameList renders "a.Name, b.Name" for the libraries idx.
func (p *plan) nameList(idx []int) string {
	parts := make([]string, 0, len(idx))
	for _, i := range idx {
		parts = append(parts, p.libs[i].pkg+".Name")
	}
	return strings.Join(parts, ", ")
}

// extAlias is the import alias of an external package.
func extAlias(path string) string { return "x" + path[strings.LastIndex(path, "/")+1:] }

// mainFile is the name of a library's main source file.
func (l *lib) mainFile() string { return strings.ReplaceAll(l.name, "-", "_") + ".go" }

// testFile is the name of a library's internal test file.
func (l *lib) testFile() string { return strings.ReplaceAll(l.name, "-", "_") + "_test.go" }

func (p *plan) writeLib(fs fileSet, l *lib) {
	dir := l.dir()
	fs[dir+"/doc.go"] = fmt.Sprintf("// Package %s is the synthetic %s library %q of scope %s.\npackage %s\n",
		l.pkg, l.typ, l.name, l.scope, l.pkg)

	imports := p.libImports(l.deps)
	names := p.nameList(l.deps)
	for _, e := range l.ext {
		imports = append(imports, importLine{extAlias(e), e})
		if names != "" {
			names += ", "
		}
		names += extAlias(e) + ".Name"
	}
	buildTags := l.linuxDep >= 0
	if buildTags {
		if names != "" {
			names += ", "
		}
		names += "platformName()"
	}
	body := fmt.Sprintf("// Name is the project name of this library.\nconst Name = %q\n\n"+
		"// Deps lists the names of what this library builds on.\nfunc Deps() []string {\n\treturn []string{%s}\n}\n",
		l.projectName(), names)
	fs[dir+"/"+l.mainFile()] = goFile("", l.pkg, imports, body)

	// Internal test, with test-only imports and testdata.
	timports := append([]importLine{{"", "testing"}}, p.libImports(l.testDeps)...)
	tbody := "func TestName(t *testing.T) {\n\tif Name == \"\" {\n\t\tt.Fatal(\"empty name\")\n\t}\n"
	if len(l.testDeps) > 0 {
		tbody += fmt.Sprintf("\tfor _, n := range []string{%s} {\n\t\tif n == \"\" {\n\t\t\tt.Fatal(\"empty dependency name\")\n\t\t}\n\t}\n", p.nameList(l.testDeps))
	}
	if l.testdata {
		timports = append(timports, importLine{"", "os"})
		tbody += "\tif _, err := os.ReadFile(\"testdata/golden.txt\"); err != nil {\n\t\tt.Fatal(err)\n\t}\n"
		fs[dir+"/testdata/golden.txt"] = "golden output of " + l.projectName() + "\n"
	}
	tbody += "}\n"
	fs[dir+"/"+l.testFile()] = goFile("", l.pkg, timports, tbody)

	if l.xtest {
		ximports := append([]importLine{{"", "testing"}, {"", p.importPath(l)}}, p.libImports(l.xtestDeps)...)
		all := append([]int{l.idx}, l.xtestDeps...)
		xbody := fmt.Sprintf("func TestExternal(t *testing.T) {\n\tfor _, n := range []string{%s} {\n\t\tif n == \"\" {\n\t\t\tt.Fatal(\"empty name\")\n\t\t}\n\t}\n}\n", p.nameList(all))
		fs[dir+"/"+strings.TrimSuffix(l.testFile(), "_test.go")+"_ext_test.go"] = goFile("", l.pkg+"_test", ximports, xbody)
	}

	if buildTags {
		one := []int{l.linuxDep}
		fs[dir+"/platform_unix.go"] = goFile("//go:build linux\n\n", l.pkg, p.libImports(one),
			fmt.Sprintf("func platformName() string { return %s }\n", p.nameList(one)))
		win := l.winDeps[:1]
		fs[dir+"/platform_windows.go"] = goFile("", l.pkg, p.libImports(win),
			fmt.Sprintf("func platformName() string { return %s }\n", p.nameList(win)))
		fs[dir+"/platform_other.go"] = goFile("//go:build !linux && !windows\n\n", l.pkg, nil,
			"func platformName() string { return \"other\" }\n")
		if len(l.winDeps) > 1 {
			hook := l.winDeps[1:]
			fs[dir+"/winhook.go"] = goFile("//go:build windows\n\n", l.pkg, p.libImports(hook),
				fmt.Sprintf("var winHook = []string{%s}\n", p.nameList(hook)))
		}
	}
	if l.embed {
		fs[dir+"/embed.go"] = goFile("", l.pkg, []importLine{{"_", "embed"}},
			"//go:embed data/defaults.json\nvar defaults []byte\n\n// Defaults returns the embedded default settings.\nfunc Defaults() []byte { return defaults }\n")
		fs[dir+"/data/defaults.json"] = fmt.Sprintf("{\"name\": %q, \"revision\": 1}\n", l.projectName())
	}
	fs[dir+"/README.md"] = fmt.Sprintf("# %s\n\nSynthetic %s library of scope %s.\n", l.projectName(), l.typ, l.scope)
}

func (p *plan) writeApp(fs fileSet, a *app) {
	dir := relPath("apps", a.name)
	base := p.spec.Module + "/" + dir
	imports := append([]importLine{{"", "fmt"}, {"", base + "/internal/config"}}, p.libImports(a.deps)...)
	args := "config.Name, config.Base(), " + p.nameList(a.deps)
	if a.handlerDep >= 0 {
		imports = append(imports, importLine{"", base + "/internal/handler"})
		args += ", handler.Route()"
	}
	fs[dir+"/main.go"] = goFile(fmt.Sprintf("// Command %s is a synthetic application.\n", a.name), "main", imports,
		fmt.Sprintf("func main() {\n\tfmt.Println(%s)\n}\n", args))
	fs[dir+"/internal/config/config.go"] = goFile("// Package config holds the application's settings.\n", "config",
		p.libImports([]int{a.configDep}),
		fmt.Sprintf("// Name is the application name.\nconst Name = %q\n\n// Base names the library the settings build on.\nfunc Base() string { return %s }\n",
			a.name, p.nameList([]int{a.configDep})))
	if a.handlerDep >= 0 {
		fs[dir+"/internal/handler/handler.go"] = goFile("// Package handler serves the application's requests.\n", "handler",
			p.libImports([]int{a.handlerDep}),
			fmt.Sprintf("// Route returns the handler's route.\nfunc Route() string { return \"/\" + %s }\n", p.nameList([]int{a.handlerDep})))
	}
	timports := []importLine{{"", "testing"}}
	tbody := "func TestConfig(t *testing.T) {\n\tif config.Name == \"\" {\n\t\tt.Fatal(\"empty name\")\n\t}\n"
	timports = append(timports, importLine{"", base + "/internal/config"})
	if a.testDep >= 0 {
		timports = append(timports, p.libImports([]int{a.testDep})...)
		tbody += fmt.Sprintf("\tif %s == \"\" {\n\t\tt.Fatal(\"empty dependency name\")\n\t}\n", p.nameList([]int{a.testDep}))
	}
	tbody += "}\n"
	fs[dir+"/main_test.go"] = goFile("", "main", timports, tbody)
	fs[dir+"/README.md"] = fmt.Sprintf("# %s\n\nSynthetic application.\n", a.name)
}

func (p *plan) writeExternal(fs fileSet, e *extMod) {
	fs[e.dir+"/go.mod"] = fmt.Sprintf("module %s\n\ngo %s\n", e.path, p.spec.GoVersion)
	for _, pkg := range e.pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, e.path), "/")
		dir := e.dir
		if rel != "" {
			dir += "/" + rel
		}
		name := pkg[strings.LastIndex(pkg, "/")+1:]
		fs[dir+"/"+name+".go"] = goFile(fmt.Sprintf("// Package %s is a small synthetic third-party package.\n", name), name, nil,
			fmt.Sprintf("// Name identifies the package.\nconst Name = %q\n", pkg))
	}
	fs[e.dir+"/README.md"] = "# " + e.path + "\n\nA local stand-in for a third-party module.\n"
}

func (p *plan) writeRoot(fs fileSet) {
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo %s\n\nrequire (\n", p.spec.Module, p.spec.GoVersion)
	for _, e := range p.ext {
		fmt.Fprintf(&b, "\t%s %s\n", e.path, extVersion)
	}
	b.WriteString(")\n\nreplace (\n")
	for _, e := range p.ext {
		fmt.Fprintf(&b, "\t%s => ./%s\n", e.path, e.dir)
	}
	b.WriteString(")\n")
	fs["go.mod"] = b.String()
	fs["README.md"] = fmt.Sprintf("# Synthetic workspace\n\n%d apps and %d libraries generated with seed %d.\n",
		p.spec.Apps, p.spec.Libs, p.spec.Seed)
}

// extVersion is the version the root go.mod requires of every external
// module.
const extVersion = "v1.0.0"

// files renders the whole workspace.
func (p *plan) files() fileSet {
	fs := make(fileSet)
	p.writeRoot(fs)
	for _, e := range p.ext {
		p.writeExternal(fs, e)
	}
	for _, l := range p.libs {
		p.writeLib(fs, l)
	}
	for _, a := range p.apps {
		p.writeApp(fs, a)
	}
	return fs
}
