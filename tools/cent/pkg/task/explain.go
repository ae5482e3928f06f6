package task

import (
	"fmt"
	"sort"
	"strings"
)

// Difference is one input that differs between two key manifests.
type Difference struct {
	Input string `json:"input"`
	// Change is "added", "removed" or "changed".
	Change string `json:"change"`
	Was    string `json:"was,omitempty"`
	Now    string `json:"now,omitempty"`
}

func (d Difference) String() string {
	switch d.Change {
	case "added":
		return "+ " + describeInput(d.Input)
	case "removed":
		return "- " + describeInput(d.Input)
	}
	return "~ " + describeInput(d.Input)
}

// describeInput turns a manifest key into words.
func describeInput(k string) string {
	kind, rest, _ := strings.Cut(k, ":")
	switch kind {
	case "file":
		return "file " + rest
	case "dep":
		name, input, _ := strings.Cut(rest, ":")
		return fmt.Sprintf("dependency %s (its %s inputs)", name, input)
	case "task":
		return "dependency task " + rest
	case "env":
		return "environment variable " + rest
	case "go":
		return "go setting " + rest
	case "gosum":
		return "go.mod/go.sum lines of the modules used"
	case "target":
		return "target definition (command, inputs, outputs, dependsOn or env list)"
	}
	return k
}

// Diff compares the manifest of a previous run with the current one.
func Diff(prev, cur map[string]string) []Difference {
	var out []Difference
	for k, v := range cur {
		old, ok := prev[k]
		switch {
		case !ok:
			out = append(out, Difference{Input: k, Change: "added", Now: v})
		case old != v:
			out = append(out, Difference{Input: k, Change: "changed", Was: old, Now: v})
		}
	}
	for k, v := range prev {
		if _, ok := cur[k]; !ok {
			out = append(out, Difference{Input: k, Change: "removed", Was: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Input < out[j].Input })
	return out
}
