package commands

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/graphview"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func init() { register(newGraphCmd) }

type graphOptions struct {
	JSON, Packages bool
	DOT            bool
	HTML           string
	Focus          string
	Affected       bool
	affected       affectedOptions
}

// graphJSON is the JSON form of cent graph.
type graphJSON struct {
	Projects     []graphProject      `json:"projects"`
	Dependencies []graph.Dependency  `json:"dependencies"`
	Cycles       [][]string          `json:"cycles"`
	Errors       map[string][]string `json:"errors,omitempty"`
	Packages     []*graph.Package    `json:"packages,omitempty"`
}

type graphProject struct {
	*workspace.Project
	Affected bool `json:"affected,omitempty"`
}

func newGraphCmd(g *GlobalOptions) *cobra.Command {
	o := &graphOptions{}
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Show the project graph (text, JSON, DOT or a self-contained HTML page)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			analysisGC()
			ws, err := g.Workspace(cmd.Context())
			if err != nil {
				return err
			}
			var gr *graph.Graph
			affectedSet := map[string]bool{}
			if o.Affected {
				rep, agr, err := o.affected.run(cmd, ws)
				if err != nil {
					return err
				}
				gr = agr
				for _, p := range rep.Projects {
					affectedSet[p.Name] = true
				}
			} else if gr, err = graph.Build(cmd.Context(), ws, o.affected.platform.graphOptions()); err != nil {
				return err
			}
			keep, err := focusSet(gr, o.Focus)
			if err != nil {
				return err
			}
			out := buildGraphJSON(gr, keep, affectedSet, o.Packages)
			switch {
			case o.JSON:
				return writeJSON(cmd.OutOrStdout(), out)
			case o.DOT:
				return graphview.RenderDOT(cmd.OutOrStdout(), toView(ws, out))
			case o.HTML != "":
				return writeHTML(g.path(o.HTML), o.HTML, toView(ws, out), cmd.ErrOrStderr())
			}
			return printGraphText(cmd.OutOrStdout(), out)
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the graph as JSON")
	cmd.Flags().BoolVar(&o.Packages, "packages", false, "include the package graph in --json output")
	cmd.Flags().BoolVar(&o.DOT, "dot", false, "print the graph in Graphviz DOT")
	cmd.Flags().StringVar(&o.HTML, "html", "", "write a self-contained interactive HTML page to `file`")
	cmd.MarkFlagsMutuallyExclusive("json", "dot", "html")
	cmd.Flags().StringVar(&o.Focus, "focus", "", "only this project, its dependencies and its dependents (transitively)")
	cmd.Flags().BoolVar(&o.Affected, "affected", false, "mark the projects affected by the change (see cent affected)")
	addAffectedFlags(cmd, &o.affected)
	return cmd
}

// focusSet returns the projects to keep for --focus (nil: all).
func focusSet(gr *graph.Graph, focus string) (map[string]bool, error) {
	if focus == "" {
		return nil, nil
	}
	if _, err := gr.Workspace.Project(focus); err != nil {
		return nil, fmt.Errorf("--focus: %w", err)
	}
	keep := map[string]bool{focus: true}
	for _, d := range gr.TransitiveDeps(focus) {
		keep[d] = true
	}
	stack := []string{focus}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range gr.Dependents(cur) {
			if !keep[d.Source] {
				keep[d.Source] = true
				stack = append(stack, d.Source)
			}
		}
	}
	return keep, nil
}

func buildGraphJSON(gr *graph.Graph, keep, affectedSet map[string]bool, packages bool) graphJSON {
	in := func(name string) bool { return keep == nil || keep[name] }
	out := graphJSON{Projects: []graphProject{}, Dependencies: []graph.Dependency{}, Cycles: [][]string{}, Errors: map[string][]string{}}
	for _, p := range gr.Workspace.Projects {
		if in(p.Name) {
			out.Projects = append(out.Projects, graphProject{Project: p, Affected: affectedSet[p.Name]})
			if errs := gr.Errors[p.Name]; len(errs) > 0 {
				out.Errors[p.Name] = errs
			}
		}
	}
	for _, d := range gr.Dependencies {
		if in(d.Source) && in(d.Target) {
			out.Dependencies = append(out.Dependencies, d)
		}
	}
	for _, c := range gr.Cycles {
		if in(c[0]) {
			out.Cycles = append(out.Cycles, c)
		}
	}
	if packages {
		for _, p := range gr.Packages {
			if in(p.Project) {
				out.Packages = append(out.Packages, p)
			}
		}
	}
	return out
}

// toView converts the graph to the renderer's input.
func toView(ws *workspace.Workspace, out graphJSON) graphview.View {
	title := filepath.Base(ws.Root)
	for _, m := range ws.Modules {
		if m.Dir == "." {
			title = m.Path
		}
	}
	v := graphview.View{Title: title, Projects: []graphview.Node{}, Edges: []graphview.Edge{}, Cycles: out.Cycles}
	for _, p := range out.Projects {
		_, broken := out.Errors[p.Name]
		v.Projects = append(v.Projects, graphview.Node{Name: p.Name, Root: p.Root, Type: string(p.Type), Tags: p.Tags, Affected: p.Affected, Broken: broken})
	}
	for _, d := range out.Dependencies {
		v.Edges = append(v.Edges, graphview.Edge{From: d.Source, To: d.Target, Kind: string(d.Kind)})
	}
	return v
}

// writeHTML renders the page to a temporary file and renames it into place.
func writeHTML(file, display string, v graphview.View, stderr io.Writer) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".cent-graph-*.html")
	if err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := graphview.RenderHTML(tmp, v); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	fmt.Fprintf(stderr, "cent: wrote %s (%d projects)\n", display, len(v.Projects))
	return nil
}

func printGraphText(w io.Writer, out graphJSON) error {
	deps := map[string][]string{}
	for _, d := range out.Dependencies {
		label := d.Target
		if d.Kind != graph.Import {
			label += " (" + string(d.Kind) + ")"
		}
		deps[d.Source] = append(deps[d.Source], label)
	}
	byType := map[workspace.ProjectType][]graphProject{}
	for _, p := range out.Projects {
		byType[p.Type] = append(byType[p.Type], p)
	}
	fmt.Fprintf(w, "%d projects, %d dependencies\n", len(out.Projects), len(out.Dependencies))
	for _, t := range workspace.Types {
		list := byType[t]
		if len(list) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d)\n", t, len(list))
		for _, p := range list {
			mark := ""
			if p.Affected {
				mark = " *affected*"
			}
			fmt.Fprintf(w, "  %s  [%s]%s\n", p.Name, p.Root, mark)
			d := deps[p.Name]
			sort.Strings(d)
			if len(d) > 0 {
				fmt.Fprintf(w, "    → %s\n", strings.Join(d, ", "))
			}
		}
	}
	for _, c := range out.Cycles {
		fmt.Fprintf(w, "\ncycle: %s\n", strings.Join(append(c, c[0]), " → "))
	}
	names := make([]string, 0, len(out.Errors))
	for n := range out.Errors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, e := range out.Errors[n] {
			fmt.Fprintf(w, "\nerror in %s: %s\n", n, e)
		}
	}
	return nil
}
