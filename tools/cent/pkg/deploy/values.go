package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"helm.sh/helm/v3/pkg/chartutil"
)

// valuesSource is one layer of values with the YAML tree that locates its
// keys: a values file, or inline values of the Application.
type valuesSource struct {
	name string
	node *yaml.Node // nil when lines are unknown
	vals map[string]any
}

// parseValues reads one values document, keeping its YAML tree for error
// locations. It returns *ValuesError (matching ErrValues) for bad YAML or a
// document that is not a mapping.
func parseValues(name string, data []byte) (*valuesSource, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlValuesError(name, err)
	}
	if len(root.Content) > 0 && root.Content[0].Kind != yaml.MappingNode {
		return nil, &ValuesError{File: name, Line: root.Content[0].Line, Msg: "values must be a mapping"}
	}
	vals, err := chartutil.ReadValues(data)
	if err != nil {
		return nil, &ValuesError{File: name, Msg: err.Error()}
	}
	return &valuesSource{name: name, node: &root, vals: vals}, nil
}

func yamlValuesError(name string, err error) error {
	var te *yaml.TypeError
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	line := 0
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+len("line "):]
		if j := strings.IndexByte(rest, ':'); j > 0 {
			if n, err := strconv.Atoi(rest[:j]); err == nil {
				line = n
				msg = strings.TrimSpace(rest[j+1:])
			}
		}
	}
	return &ValuesError{File: name, Line: line, Msg: msg}
}

// mergeValues merges src into dst: maps merge recursively, anything else in
// src replaces dst's value, as Helm does for repeated --values files.
func mergeValues(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst)+len(src))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// schemaValidator checks coalesced values against a chart's
// values.schema.json and locates each violation in the source that set it.
type schemaValidator struct {
	schema *jsonschema.Schema
}

func newSchemaValidator(schemaJSON []byte) (*schemaValidator, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("values.schema.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	// No loaders: a schema that references the network fails to compile
	// rather than fetching anything.
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource("file:///values.schema.json", doc); err != nil {
		return nil, fmt.Errorf("values.schema.json: %w", err)
	}
	s, err := c.Compile("file:///values.schema.json")
	if err != nil {
		return nil, fmt.Errorf("values.schema.json: %w", err)
	}
	return &schemaValidator{schema: s}, nil
}

var printer = message.NewPrinter(language.English)

// validate returns nil or the joined *ValuesError of every violation.
func (v *schemaValidator) validate(vals map[string]any, sources []*valuesSource) error {
	err := v.schema.Validate(vals)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &ValuesError{File: "values", Msg: err.Error()}
	}
	var leaves []*jsonschema.ValidationError
	collectLeaves(ve, &leaves)
	seen := map[string]bool{}
	var errs []error
	for _, leaf := range leaves {
		keyPath := append([]string(nil), leaf.InstanceLocation...)
		msg := leaf.ErrorKind.LocalizedString(printer)
		switch k := leaf.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				errs = appendUnique(errs, seen, locate(append(keyPath, p), "unknown key", sources))
			}
			continue
		case *kind.FalseSchema:
			msg = "unknown key"
		}
		errs = appendUnique(errs, seen, locate(keyPath, msg, sources))
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

func appendUnique(errs []error, seen map[string]bool, e *ValuesError) []error {
	if s := e.Error(); !seen[s] {
		seen[s] = true
		errs = append(errs, e)
	}
	return errs
}

func collectLeaves(e *jsonschema.ValidationError, out *[]*jsonschema.ValidationError) {
	if len(e.Causes) == 0 {
		*out = append(*out, e)
		return
	}
	for _, c := range e.Causes {
		collectLeaves(c, out)
	}
}

// locate finds the last source that sets keyPath and returns the error at
// that key's line; when no source sets it fully, the deepest match wins.
func locate(keyPath []string, msg string, sources []*valuesSource) *ValuesError {
	e := &ValuesError{File: "chart defaults", Key: dotted(keyPath), Msg: msg}
	bestDepth := -1
	for i := len(sources) - 1; i >= 0; i-- {
		s := sources[i]
		if s.node == nil || len(s.node.Content) == 0 {
			if bestDepth < 0 {
				e.File, bestDepth = s.name, 0
			}
			continue
		}
		n, depth := findKey(s.node.Content[0], keyPath)
		if depth == len(keyPath) {
			e.File, e.Line = s.name, n.Line
			return e
		}
		if depth > bestDepth {
			e.File, e.Line, bestDepth = s.name, n.Line, depth
		}
	}
	return e
}

// findKey walks keyPath from n and returns the deepest node reached (the key
// node for mappings) and how many elements matched.
func findKey(n *yaml.Node, keyPath []string) (*yaml.Node, int) {
	cur, at := n, n
	for depth, k := range keyPath {
		switch cur.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(cur.Content); i += 2 {
				if cur.Content[i].Value == k {
					at, cur, found = cur.Content[i], cur.Content[i+1], true
					break
				}
			}
			if !found {
				return at, depth
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(cur.Content) {
				return at, depth
			}
			at, cur = cur.Content[i], cur.Content[i]
		default:
			return at, depth
		}
	}
	return at, len(keyPath)
}

func dotted(keyPath []string) string {
	var b strings.Builder
	for i, k := range keyPath {
		if _, err := strconv.Atoi(k); err == nil {
			fmt.Fprintf(&b, "[%s]", k)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(k)
	}
	return b.String()
}
