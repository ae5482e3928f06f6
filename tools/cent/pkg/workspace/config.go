package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigFileName is the optional workspace configuration file at the root.
const ConfigFileName = "cent.yaml"

// ProjectFileName is the optional per-project configuration file.
const ProjectFileName = "project.yaml"

// Config is the content of cent.yaml. Its zero value is the documented
// default: inferred projects, default named inputs, default targets and the
// default library-type boundary rules.
type Config struct {
	// Projects are extra globs of directories that are projects, relative to
	// the workspace root (for layouts the inference does not know).
	Projects []string `yaml:"projects"`
	// Exclude are globs of directories that are never scanned.
	Exclude []string `yaml:"exclude"`
	// NamedInputs adds to or replaces the default named inputs.
	NamedInputs map[string][]string `yaml:"namedInputs"`
	// TargetDefaults adds to or replaces the default targets, by name.
	TargetDefaults map[string]Target `yaml:"targetDefaults"`
	// Boundaries configures cent lint.
	Boundaries Boundaries `yaml:"boundaries"`
	// Platform is the build platform the import graph is computed for.
	Platform Platform `yaml:"platform"`
}

// Platform selects the build context for the import graph. Empty fields mean
// the platform cent runs on.
type Platform struct {
	GOOS      string   `yaml:"goos"`
	GOARCH    string   `yaml:"goarch"`
	BuildTags []string `yaml:"buildTags"`
	// CgoEnabled overrides the default (on for native builds).
	CgoEnabled *bool `yaml:"cgo"`
}

// Target is one runnable target: a command with its dependencies, inputs and
// outputs. In cent.yaml's targetDefaults, Types selects the project types that
// get the target.
type Target struct {
	// Command is run with sh -c in the workspace root. Placeholders:
	// {projectRoot}, {projectName}, {packages} (the project's packages as
	// ./relative/dirs), {workspaceRoot}.
	Command string `yaml:"command" json:"command,omitempty"`
	// DependsOn lists targets run first: "^build" is the build target of every
	// project this one depends on, "vet" a target of the same project.
	DependsOn []string `yaml:"dependsOn" json:"dependsOn,omitempty"`
	// Inputs are file globs and named inputs; "^name" is the named input of
	// every dependency.
	Inputs []string `yaml:"inputs" json:"inputs,omitempty"`
	// Outputs are files or directories (relative to the workspace root, with
	// placeholders) restored from cache.
	Outputs []string `yaml:"outputs" json:"outputs,omitempty"`
	// Env lists environment variables whose values are part of the task key.
	Env []string `yaml:"env" json:"env,omitempty"`
	// Cache turns caching off when false (default true).
	Cache *bool `yaml:"cache" json:"cache,omitempty"`
	// Types restricts a target default to these project types (empty: all).
	Types []ProjectType `yaml:"types" json:"types,omitempty"`
}

// Cacheable reports whether results of the target are cached.
func (t Target) Cacheable() bool { return t.Cache == nil || *t.Cache }

// Boundaries configures the dependency rules enforced by cent lint.
type Boundaries struct {
	// Types maps a project type to the types it may depend on; an entry
	// replaces the default for that type.
	Types map[ProjectType][]ProjectType `yaml:"types"`
	// SharedScopes are scopes every scope may depend on (default: shared,
	// platform).
	SharedScopes []string `yaml:"sharedScopes"`
	// Rules are extra tag rules: a project tagged Tag may depend only on
	// projects carrying one of Allow.
	Rules []TagRule `yaml:"rules"`
}

// TagRule restricts the dependencies of projects carrying Tag.
type TagRule struct {
	Tag   string   `yaml:"tag"`
	Allow []string `yaml:"allow"`
}

// ProjectFile is the content of a project.yaml.
type ProjectFile struct {
	Name                 string            `yaml:"name"`
	Type                 ProjectType       `yaml:"type"`
	Tags                 []string          `yaml:"tags"`
	Targets              map[string]Target `yaml:"targets"`
	ImplicitDependencies []string          `yaml:"implicitDependencies"`
	// Inputs are extra files (globs relative to the project, or starting with
	// {workspaceRoot}/) that are inputs of every target of the project.
	Inputs []string `yaml:"inputs"`
}

var (
	nameRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	tagRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`)
	envRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	targetRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// ParseConfig decodes cent.yaml content strictly: unknown keys and invalid
// values are *ConfigError values naming file and line.
func ParseConfig(file string, data []byte) (*Config, error) {
	var c Config
	root, err := decodeStrict(file, data, &c)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return &c, nil
	}
	v := validator{file: file}
	for i, p := range c.Projects {
		v.glob(nodeAt(root, "projects", strconv.Itoa(i)), p)
	}
	for i, p := range c.Exclude {
		v.glob(nodeAt(root, "exclude", strconv.Itoa(i)), p)
	}
	for name, list := range c.NamedInputs {
		n := nodeAt(root, "namedInputs", name)
		if !targetRe.MatchString(name) {
			v.fail(keyNode(root, "namedInputs", name), "namedInputs: invalid name %q", name)
		}
		for i, in := range list {
			v.input(nodeAt(n, strconv.Itoa(i)), in)
		}
	}
	for name, t := range c.TargetDefaults {
		v.target(keyNode(root, "targetDefaults", name), nodeAt(root, "targetDefaults", name), "targetDefaults."+name, name, t)
	}
	for typ, allowed := range c.Boundaries.Types {
		n := keyNode(root, "boundaries", "types", string(typ))
		if err := typ.validate(); err != nil {
			v.fail(n, "boundaries.types: %v", err)
		}
		for _, a := range allowed {
			if err := a.validate(); err != nil {
				v.fail(n, "boundaries.types.%s: %v", typ, err)
			}
		}
	}
	for i, r := range c.Boundaries.Rules {
		n := nodeAt(root, "boundaries", "rules", strconv.Itoa(i))
		if !tagRe.MatchString(r.Tag) {
			v.fail(n, "boundaries.rules[%d].tag: invalid tag %q", i, r.Tag)
		}
		if len(r.Allow) == 0 {
			v.fail(n, "boundaries.rules[%d].allow: must list at least one tag", i)
		}
	}
	for i, s := range c.Boundaries.SharedScopes {
		if !nameRe.MatchString(s) {
			v.fail(nodeAt(root, "boundaries", "sharedScopes", strconv.Itoa(i)), "boundaries.sharedScopes: invalid scope %q", s)
		}
	}
	if p := c.Platform; p.GOOS != "" && !nameRe.MatchString(p.GOOS) || p.GOARCH != "" && !nameRe.MatchString(p.GOARCH) {
		v.fail(nodeAt(root, "platform"), "platform: invalid goos/goarch")
	}
	if v.err != nil {
		return nil, v.err
	}
	return &c, nil
}

// ParseProjectFile decodes a project.yaml strictly.
func ParseProjectFile(file string, data []byte) (*ProjectFile, error) {
	var p ProjectFile
	root, err := decodeStrict(file, data, &p)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return &p, nil
	}
	v := validator{file: file}
	if p.Name != "" && !nameRe.MatchString(p.Name) {
		v.fail(nodeAt(root, "name"), "name: invalid project name %q (letters, digits, '.', '_' and '-')", p.Name)
	}
	if p.Type != "" {
		if err := p.Type.validate(); err != nil {
			v.fail(nodeAt(root, "type"), "type: %v", err)
		}
	}
	for i, t := range p.Tags {
		if !tagRe.MatchString(t) {
			v.fail(nodeAt(root, "tags", strconv.Itoa(i)), "tags: invalid tag %q", t)
		}
	}
	for i, d := range p.ImplicitDependencies {
		name := strings.TrimPrefix(d, "!")
		if !nameRe.MatchString(name) {
			v.fail(nodeAt(root, "implicitDependencies", strconv.Itoa(i)), "implicitDependencies: invalid project name %q", d)
		}
	}
	for i, in := range p.Inputs {
		v.input(nodeAt(root, "inputs", strconv.Itoa(i)), in)
	}
	for name, t := range p.Targets {
		if len(t.Types) > 0 {
			v.fail(nodeAt(root, "targets", name, "types"), "targets.%s.types: only allowed in cent.yaml targetDefaults", name)
		}
		v.target(keyNode(root, "targets", name), nodeAt(root, "targets", name), "targets."+name, name, t)
	}
	if v.err != nil {
		return nil, v.err
	}
	return &p, nil
}

// decodeStrict decodes YAML into out, rejecting unknown keys, and returns the
// document's root mapping node for locating validation errors. An empty
// document yields a nil node and no error.
func decodeStrict(file string, data []byte, out any) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ConfigError{File: file, Line: extra.Line, Msg: "only one YAML document is allowed"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &ConfigError{File: file, Line: root.Line, Msg: "expected a mapping of keys to values"}
	}
	dec2 := yaml.NewDecoder(bytes.NewReader(data))
	dec2.KnownFields(true)
	if err := dec2.Decode(out); err != nil {
		return nil, yamlError(file, err)
	}
	return root, nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// yamlError converts a yaml error into a *ConfigError (or a joined list of
// them), keeping the line numbers the decoder reports.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, m := range te.Errors {
			errs = append(errs, lineError(file, m))
		}
		return errors.Join(errs...)
	}
	return lineError(file, strings.TrimPrefix(err.Error(), "yaml: "))
}

func lineError(file, msg string) error {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &ConfigError{File: file, Line: n, Msg: cleanYAMLMsg(m[2])}
	}
	return &ConfigError{File: file, Msg: msg}
}

// cleanYAMLMsg rewrites "field x not found in type workspace.Config" into a
// message that names the key, not Go types.
func cleanYAMLMsg(msg string) string {
	if strings.HasPrefix(msg, "field ") && strings.Contains(msg, " not found in type ") {
		key := strings.TrimPrefix(msg[:strings.Index(msg, " not found")], "field ")
		return fmt.Sprintf("unknown key %q", key)
	}
	if i := strings.Index(msg, " into "); i > 0 && strings.HasPrefix(msg, "cannot unmarshal ") {
		return "invalid value: " + strings.TrimPrefix(msg[:i], "cannot unmarshal ") + ", want " + friendlyType(msg[i+len(" into "):])
	}
	return msg
}

func friendlyType(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "workspace."):
		return "a mapping"
	case t == "bool":
		return "true or false"
	}
	return t
}

// validator collects validation errors located by YAML node.
type validator struct {
	file string
	err  error
}

func (v *validator) fail(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	v.err = errors.Join(v.err, &ConfigError{File: v.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) glob(n *yaml.Node, g string) {
	if err := checkGlob(g); err != nil {
		v.fail(n, "%v", err)
	}
}

func (v *validator) input(n *yaml.Node, in string) {
	if err := checkInput(in); err != nil {
		v.fail(n, "%v", err)
	}
}

func (v *validator) target(key, n *yaml.Node, where, name string, t Target) {
	if !targetRe.MatchString(name) {
		v.fail(key, "%s: invalid target name %q", where, name)
	}
	if strings.ContainsRune(t.Command, 0) {
		v.fail(nodeAt(n, "command"), "%s.command: contains a NUL byte", where)
	}
	for i, d := range t.DependsOn {
		if !targetRe.MatchString(strings.TrimPrefix(d, "^")) {
			v.fail(nodeAt(n, "dependsOn", strconv.Itoa(i)), "%s.dependsOn: invalid target %q", where, d)
		}
	}
	for i, in := range t.Inputs {
		v.input(nodeAt(n, "inputs", strconv.Itoa(i)), in)
	}
	for i, o := range t.Outputs {
		if err := checkOutput(o); err != nil {
			v.fail(nodeAt(n, "outputs", strconv.Itoa(i)), "%s.outputs: %v", where, err)
		}
	}
	for i, e := range t.Env {
		if !envRe.MatchString(e) {
			v.fail(nodeAt(n, "env", strconv.Itoa(i)), "%s.env: invalid variable name %q", where, e)
		}
	}
	for i, ty := range t.Types {
		if err := ty.validate(); err != nil {
			v.fail(nodeAt(n, "types", strconv.Itoa(i)), "%s.types: %v", where, err)
		}
	}
}

// nodeAt walks mapping keys and sequence indexes from n and returns the value
// node found, or the deepest node reached (so errors still get a line).
func nodeAt(n *yaml.Node, path ...string) *yaml.Node {
	cur := n
	for _, p := range path {
		if cur == nil {
			return n
		}
		next := child(cur, p)
		if next == nil {
			return cur
		}
		cur = next
	}
	return cur
}

// keyNode is like nodeAt but returns the key node of the last element.
func keyNode(n *yaml.Node, path ...string) *yaml.Node {
	parent := nodeAt(n, path[:len(path)-1]...)
	if parent != nil && parent.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(parent.Content); i += 2 {
			if parent.Content[i].Value == path[len(path)-1] {
				return parent.Content[i]
			}
		}
	}
	return parent
}

func child(n *yaml.Node, key string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		i, err := strconv.Atoi(key)
		if err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// readConfigFile reads and parses a YAML file with parse.
func readConfigFile[T any](path, display string, parse func(string, []byte) (*T, error)) (*T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", display, err)
	}
	return parse(display, data)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
