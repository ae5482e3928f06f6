package graphview

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// RenderDOT writes v as a Graphviz digraph: projects sorted by name and
// filled with their type's colour, affected projects drawn with a thick red
// outline, broken ones as octagons, test imports dashed, implicit
// dependencies dotted and cycle edges red. The output is deterministic. It
// returns Validate's errors or the write error.
func RenderDOT(w io.Writer, v View) error {
	if err := v.Validate(); err != nil {
		return err
	}
	colors := typeColors(v.Projects)
	nodes := append([]Node(nil), v.Projects...)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	edges := append([]Edge(nil), v.Edges...)
	sort.Slice(edges, func(i, j int) bool {
		a, b := edges[i], edges[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.kindOf() < b.kindOf()
	})
	inCycle := cycleEdges(v.Cycles)

	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %s {\n", dotID(titleOr(v.Title)))
	if v.Title != "" {
		fmt.Fprintf(bw, "  label=%s;\n  labelloc=t;\n", dotID(v.Title))
	}
	bw.WriteString("  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n  edge [color=\"#888888\", arrowsize=0.6];\n")
	for _, n := range nodes {
		attrs := []string{
			"label=" + dotID(n.Name),
			"fillcolor=" + dotID(colors[n.Type]),
		}
		if n.Type != "" {
			attrs = append(attrs, "tooltip="+dotID(strings.TrimSpace(n.Type+" "+n.Root)))
		}
		if n.Affected {
			attrs = append(attrs, `color="#d62728"`, "penwidth=3")
		}
		if n.Broken {
			attrs = append(attrs, "shape=octagon", `style="filled,dashed"`)
		}
		fmt.Fprintf(bw, "  %s [%s];\n", dotID(n.Name), strings.Join(attrs, ", "))
	}
	for _, e := range edges {
		var attrs []string
		switch e.kindOf() {
		case EdgeTestImport:
			attrs = append(attrs, "style=dashed")
		case EdgeImplicit:
			attrs = append(attrs, "style=dotted")
		}
		if inCycle[[2]string{e.From, e.To}] {
			attrs = append(attrs, `color="#d62728"`, "penwidth=2")
		}
		fmt.Fprintf(bw, "  %s -> %s", dotID(e.From), dotID(e.To))
		if len(attrs) > 0 {
			fmt.Fprintf(bw, " [%s]", strings.Join(attrs, ", "))
		}
		bw.WriteString(";\n")
	}
	bw.WriteString("}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing DOT: %w", err)
	}
	return nil
}

func titleOr(t string) string {
	if t == "" {
		return "projects"
	}
	return t
}

// dotID quotes s as a DOT double-quoted string. Backslashes are doubled so
// Graphviz escape sequences such as \N or \l cannot be smuggled in, and line
// breaks become spaces.
func dotID(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n', '\r', '\u2028', '\u2029':
			b.WriteByte(' ')
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteByte(' ')
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
