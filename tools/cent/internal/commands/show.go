package commands

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func init() { register(newShowCmd) }

type showOptions struct {
	JSON     bool
	Type     string
	Tag      string
	platform platformOptions
}

func newShowCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show the workspace's projects or one project",
	}
	o := &showOptions{}
	projects := &cobra.Command{
		Use:   "projects",
		Short: "List the projects (name, type, root)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			analysisGC()
			ws, err := g.Workspace(cmd.Context())
			if err != nil {
				return err
			}
			if o.Type != "" && !validType(o.Type) {
				return fmt.Errorf("--type: unknown project type %q (want one of %s)", o.Type, typeList())
			}
			var list []*workspace.Project
			for _, p := range ws.Projects {
				if (o.Type == "" || string(p.Type) == o.Type) && (o.Tag == "" || p.HasTag(o.Tag)) {
					list = append(list, p)
				}
			}
			if o.JSON {
				if list == nil {
					list = []*workspace.Project{}
				}
				return writeJSON(cmd.OutOrStdout(), list)
			}
			for _, p := range list {
				fmt.Fprintf(cmd.OutOrStdout(), "%-40s %-12s %s\n", p.Name, p.Type, p.Root)
			}
			return nil
		},
	}
	projects.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	projects.Flags().StringVar(&o.Type, "type", "", "only projects of this type (app, feature, ui, data-access, util, lib)")
	projects.Flags().StringVar(&o.Tag, "tag", "", "only projects with this tag (e.g. scope:orders)")

	project := &cobra.Command{
		Use:   "project NAME",
		Short: "Show one project: root, type, tags, targets, files, dependencies and dependents",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			analysisGC()
			ws, gr, err := loadGraph(cmd.Context(), g, o.platform)
			if err != nil {
				return err
			}
			p, err := ws.Project(args[0])
			if err != nil {
				return err
			}
			d := describe(ws, gr, p)
			if o.JSON {
				return writeJSON(cmd.OutOrStdout(), d)
			}
			printDetail(cmd, d)
			return nil
		},
	}
	project.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	addPlatformFlags(project, &o.platform)
	cmd.AddCommand(projects, project)
	return cmd
}

func validType(t string) bool {
	for _, k := range workspace.Types {
		if string(k) == t {
			return true
		}
	}
	return false
}

func typeList() string {
	var s []string
	for _, k := range workspace.Types {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// projectDetail is the JSON form of cent show project.
type projectDetail struct {
	*workspace.Project
	Targets      map[string]workspace.Target `json:"targets"`
	Files        []string                    `json:"files"`
	Packages     []string                    `json:"packages"`
	Dependencies []graph.Dependency          `json:"dependencies"`
	Dependents   []graph.Dependency          `json:"dependents"`
	Errors       []string                    `json:"errors,omitempty"`
}

func describe(ws *workspace.Workspace, gr *graph.Graph, p *workspace.Project) projectDetail {
	d := projectDetail{Project: p, Targets: p.Targets, Files: ws.Files(p), Packages: []string{},
		Dependencies: gr.Deps(p.Name), Dependents: gr.Dependents(p.Name), Errors: gr.Errors[p.Name]}
	for _, pkg := range gr.PackagesOf(p.Name) {
		d.Packages = append(d.Packages, pkg.ImportPath)
	}
	if d.Files == nil {
		d.Files = []string{}
	}
	if d.Dependencies == nil {
		d.Dependencies = []graph.Dependency{}
	}
	if d.Dependents == nil {
		d.Dependents = []graph.Dependency{}
	}
	return d
}

func printDetail(cmd *cobra.Command, d projectDetail) {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "name:    %s\nroot:    %s\ntype:    %s\ntags:    %s\nsource:  %s\n", d.Name, d.Root, d.Type, strings.Join(d.Tags, ", "), d.Source)
	var names []string
	for n := range d.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "targets:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, d.Targets[n].Command)
	}
	fmt.Fprintf(w, "packages (%d):\n", len(d.Packages))
	for _, p := range d.Packages {
		fmt.Fprintf(w, "  %s\n", p)
	}
	fmt.Fprintf(w, "dependencies (%d):\n", len(d.Dependencies))
	for _, dep := range d.Dependencies {
		fmt.Fprintf(w, "  %s (%s)\n", dep.Target, dep.Kind)
	}
	fmt.Fprintf(w, "dependents (%d):\n", len(d.Dependents))
	for _, dep := range d.Dependents {
		fmt.Fprintf(w, "  %s (%s)\n", dep.Source, dep.Kind)
	}
	fmt.Fprintf(w, "files (%d):\n", len(d.Files))
	for _, f := range d.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	for _, e := range d.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}
