package workspace

import (
	"fmt"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Placeholders usable in input and output globs and in commands.
const (
	PlaceholderProjectRoot   = "{projectRoot}"
	PlaceholderWorkspaceRoot = "{workspaceRoot}"
	PlaceholderProjectName   = "{projectName}"
	PlaceholderPackages      = "{packages}"
)

// DefaultNamedInputs are the named inputs every workspace has; cent.yaml may
// replace any of them.
//
//   - default: every file of the project.
//   - production: default without tests, test data and Markdown.
//   - go: the project's Go source and embedded-data candidates, tests included.
func DefaultNamedInputs() map[string][]string {
	return map[string][]string{
		"default":    {"{projectRoot}/**/*"},
		"production": {"default", "!{projectRoot}/**/*_test.go", "!{projectRoot}/**/testdata/**", "!{projectRoot}/**/*.md"},
	}
}

func isNamedRef(s string) bool {
	if s == "" || strings.ContainsAny(s, "/*?[{}.!") {
		return false
	}
	return targetRe.MatchString(s)
}

func checkGlob(g string) error {
	if g == "" {
		return fmt.Errorf("empty glob")
	}
	if strings.ContainsRune(g, 0) {
		return fmt.Errorf("glob %q contains a NUL byte", g)
	}
	if path.IsAbs(g) || strings.HasPrefix(g, "\\") {
		return fmt.Errorf("glob %q must be relative to the workspace", g)
	}
	for _, seg := range strings.Split(g, "/") {
		if seg == ".." {
			return fmt.Errorf("glob %q must not leave the workspace (..)", g)
		}
	}
	if !doublestar.ValidatePattern(g) {
		return fmt.Errorf("invalid glob %q", g)
	}
	return nil
}

// checkInput validates one entry of an inputs list.
func checkInput(in string) error {
	s := strings.TrimPrefix(in, "^")
	if s != in && !isNamedRef(s) {
		return fmt.Errorf("input %q: '^' only goes before a named input", in)
	}
	if isNamedRef(s) {
		return nil
	}
	s = strings.TrimPrefix(s, "!")
	for _, ph := range []string{PlaceholderProjectRoot, PlaceholderWorkspaceRoot} {
		if rest, ok := strings.CutPrefix(s, ph); ok {
			s = strings.TrimPrefix(rest, "/")
			break
		}
	}
	if s == "" {
		s = "**"
	}
	return checkGlob(s)
}

func checkOutput(o string) error {
	s := strings.NewReplacer(PlaceholderProjectRoot, "p", PlaceholderProjectName, "n", PlaceholderWorkspaceRoot, ".").Replace(o)
	if strings.HasPrefix(s, "./") {
		s = s[2:]
	}
	return checkGlob(s)
}

// Matcher tells whether a workspace-relative file is among a project's inputs.
type Matcher struct {
	project  *Project
	owner    func(rel string) *Project
	include  []pattern
	exclude  []pattern
	depNames []string
}

type pattern struct {
	glob string
	// inProject restricts matches to files the project owns (not files of a
	// nested project), for globs under {projectRoot}.
	inProject bool
}

// Inputs resolves a list of inputs (globs, named inputs, "^named") for p.
// Named inputs are expanded recursively; "^name" entries are returned by
// DependencyInputs, for the caller to apply to p's dependencies.
func (ws *Workspace) Inputs(p *Project, inputs []string) (*Matcher, error) {
	m := &Matcher{project: p, owner: ws.Owner}
	seen := map[string]bool{}
	var expand func(list []string, neg bool) error
	expand = func(list []string, neg bool) error {
		for _, in := range list {
			if dep, ok := strings.CutPrefix(in, "^"); ok {
				m.depNames = append(m.depNames, dep)
				continue
			}
			if isNamedRef(in) {
				def, ok := ws.namedInputs[in]
				if !ok {
					return fmt.Errorf("unknown named input %q", in)
				}
				if seen[in] {
					return fmt.Errorf("named input %q refers to itself", in)
				}
				seen[in] = true
				if err := expand(def, neg); err != nil {
					return err
				}
				delete(seen, in)
				continue
			}
			exclude := strings.HasPrefix(in, "!")
			pat := ws.resolveGlob(p, strings.TrimPrefix(in, "!"))
			if exclude != neg {
				m.exclude = append(m.exclude, pat)
			} else {
				m.include = append(m.include, pat)
			}
		}
		return nil
	}
	if err := expand(inputs, false); err != nil {
		return nil, err
	}
	return m, nil
}

func (ws *Workspace) resolveGlob(p *Project, g string) pattern {
	switch {
	case strings.HasPrefix(g, PlaceholderWorkspaceRoot):
		return pattern{glob: cleanGlob(strings.TrimPrefix(strings.TrimPrefix(g, PlaceholderWorkspaceRoot), "/"))}
	case strings.HasPrefix(g, PlaceholderProjectRoot):
		g = strings.TrimPrefix(strings.TrimPrefix(g, PlaceholderProjectRoot), "/")
	}
	return pattern{glob: cleanGlob(path.Join(p.Root, g)), inProject: true}
}

func cleanGlob(g string) string {
	g = strings.TrimPrefix(g, "./")
	if g == "" || g == "." {
		return "**"
	}
	return g
}

// DependencyInputs returns the named inputs listed with '^': the inputs of
// each dependency that count for this target.
func (m *Matcher) DependencyInputs() []string { return m.depNames }

// Match reports whether the workspace-relative, slash-separated path rel is
// an input.
func (m *Matcher) Match(rel string) bool {
	in := false
	for _, p := range m.include {
		if m.matches(p, rel) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, p := range m.exclude {
		if m.matches(p, rel) {
			return false
		}
	}
	return true
}

func (m *Matcher) matches(p pattern, rel string) bool {
	ok, _ := doublestar.Match(p.glob, rel)
	if !ok {
		return false
	}
	return !p.inProject || m.owner == nil || m.owner(rel) == m.project
}

// External returns the include globs that are not limited to the project's
// own files ({workspaceRoot}/... inputs); they do not depend on the project.
func (m *Matcher) External() []string {
	var out []string
	for _, p := range m.include {
		if !p.inProject {
			out = append(out, p.glob)
		}
	}
	return out
}

// Globs returns the include and exclude globs, workspace-relative; the
// include globs with inProject set are limited to files the project owns.
func (m *Matcher) Globs() (include, exclude []string) {
	for _, p := range m.include {
		include = append(include, p.glob)
	}
	for _, p := range m.exclude {
		exclude = append(exclude, p.glob)
	}
	return include, exclude
}
