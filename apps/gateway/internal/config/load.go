package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, decodes, defaults and validates the configuration file at path.
// Errors wrap ErrInvalid and name the file and line of the offending key.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading gateway config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes a configuration held in memory; name is used in error
// messages and as Config.Path. Errors wrap ErrInvalid.
func Parse(name string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	if root.Kind == 0 {
		return nil, fmt.Errorf("%s: %w: file is empty", name, ErrInvalid)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w: more than one YAML document", name, ErrInvalid)
	}
	c.Path = name
	c.Hash = hashBytes(data)
	c.applyDefaults()
	if errs := c.validate(); len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, fe := range errs {
			line := lineOf(&root, fe.path)
			msgs = append(msgs, fmt.Sprintf("%s:%d: %s: %s", name, line, formatPath(fe.path), fe.msg))
		}
		return nil, fmt.Errorf("%w:\n%s", ErrInvalid, strings.Join(msgs, "\n"))
	}
	return &c, nil
}

var (
	lineRe    = regexp.MustCompile(`line (\d+): `)
	unknownRe = regexp.MustCompile(`field (\S+) not found in type [\w.]+\.(\w+)`)
)

// yamlError rewrites the decoder's "line N: msg" messages as "file:N: msg".
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	var lines []string
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if m := lineRe.FindStringSubmatchIndex(l); m != nil {
			n := l[m[2]:m[3]]
			l = name + ":" + n + ": " + l[:m[0]] + l[m[1]:]
		} else {
			l = name + ": " + l
		}
		l = unknownRe.ReplaceAllString(l, "unknown key \"$1\" (in $2)")
		out = append(out, strings.TrimSpace(l))
	}
	return fmt.Errorf("%w:\n%s", ErrInvalid, strings.Join(out, "\n"))
}

type fieldError struct {
	path []any
	msg  string
}

func formatPath(p []any) string {
	var b strings.Builder
	for i, e := range p {
		switch v := e.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

// lineOf finds the line of the deepest node along path, so an error about a
// missing field points at its parent.
func lineOf(root *yaml.Node, path []any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, e := range path {
		var next *yaml.Node
		switch v := e.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == v {
						line = n.Content[i].Line
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && v < len(n.Content) {
				next = n.Content[v]
			}
		}
		if next == nil {
			return line
		}
		n = next
		line = n.Line
	}
	return line
}
