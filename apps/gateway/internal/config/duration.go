package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as a Go duration string such
// as "250ms" or "1m30s".
type Duration time.Duration

// UnmarshalYAML parses a duration string; bare numbers are rejected because
// their unit would be ambiguous.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return typeErr(n, fmt.Sprintf("duration must be a string with a unit such as \"5s\", got %q", n.Value))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return typeErr(n, err.Error())
	}
	if v < 0 {
		return typeErr(n, fmt.Sprintf("duration %q is negative", n.Value))
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration in its string form.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// typeErr reports a bad value as a *yaml.TypeError so that decoding goes on
// and every problem in the file is reported at once.
func typeErr(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}
