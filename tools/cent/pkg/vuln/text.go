package vuln

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the report for people: each vulnerable project with its
// vulnerabilities and one call trace per vulnerable symbol, then a summary
// line.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	vulnerable := r.Vulnerable()
	ids := map[string]bool{}
	for _, p := range vulnerable {
		fmt.Fprintf(&b, "%s: %d reachable %s\n", p.Project, len(p.Vulns), plural(len(p.Vulns), "vulnerability", "vulnerabilities"))
		for _, v := range p.Vulns {
			ids[v.ID] = true
			title := v.ID
			if len(v.Aliases) > 0 {
				title += " (" + strings.Join(v.Aliases, ", ") + ")"
			}
			if v.Summary != "" {
				title += ": " + v.Summary
			}
			fmt.Fprintf(&b, "  %s\n", title)
			fixed := "no fixed version"
			if v.FixedVersion != "" {
				fixed = "fixed in " + v.FixedVersion
			}
			fmt.Fprintf(&b, "    found in %s@%s, %s\n", v.Module, v.Version, fixed)
			if v.URL != "" {
				fmt.Fprintf(&b, "    more: %s\n", v.URL)
			}
			for _, c := range v.Calls {
				writeTrace(&b, c)
			}
		}
	}
	switch {
	case len(r.Projects) == 0:
		b.WriteString("no project to scan\n")
	case len(vulnerable) == 0:
		fmt.Fprintf(&b, "no reachable vulnerabilities in %d %s\n", len(r.Projects), plural(len(r.Projects), "project", "projects"))
	default:
		fmt.Fprintf(&b, "%d of %d %s reach %d %s\n", len(vulnerable), len(r.Projects), plural(len(r.Projects), "project", "projects"),
			len(ids), plural(len(ids), "vulnerability", "vulnerabilities"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTrace prints a call trace as "position: caller calls callee" lines,
// from the entry point down to the vulnerable function.
func writeTrace(b *strings.Builder, c Call) {
	fmt.Fprintf(b, "    %s\n", c.Symbol)
	if len(c.Trace) == 1 {
		fmt.Fprintf(b, "      %s is an entry point\n", c.Trace[0].Name())
		return
	}
	for i := 0; i+1 < len(c.Trace); i++ {
		pos := c.Trace[i].Position
		if pos == "" {
			pos = "?"
		}
		fmt.Fprintf(b, "      %s: %s calls %s\n", pos, c.Trace[i].Name(), c.Trace[i+1].Name())
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
