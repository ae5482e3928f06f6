package commands

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/affected"
	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func init() { register(newAffectedCmd) }

// affectedOptions select the change to analyse.
type affectedOptions struct {
	Base, Head  string
	Target      string
	FallbackAll bool
	platform    platformOptions
}

// selectProjects returns the projects a command works on, with the graph:
// those affected when affected is set, every project when all is set, else
// the named ones (each must exist), in that order of precedence.
func (o *affectedOptions) selectProjects(cmd *cobra.Command, ws *workspace.Workspace, named []string, all, affected bool) ([]string, *graph.Graph, error) {
	if affected {
		rep, gr, err := o.run(cmd, ws)
		if err != nil {
			return nil, nil, err
		}
		return rep.Names(), gr, nil
	}
	var names []string
	if all {
		for _, p := range ws.Projects {
			names = append(names, p.Name)
		}
	} else {
		for _, n := range named {
			if _, err := ws.Project(n); err != nil {
				return nil, nil, err
			}
		}
		names = named
	}
	gr, err := graph.Build(cmd.Context(), ws, o.platform.graphOptions())
	if err != nil {
		return nil, nil, err
	}
	return names, gr, nil
}

func addAffectedFlags(cmd *cobra.Command, o *affectedOptions) {
	cmd.Flags().StringVar(&o.Base, "base", "main", "compare against the merge base with this git revision")
	cmd.Flags().StringVar(&o.Head, "head", "", "compare this revision (default: the working tree, including uncommitted and untracked files)")
	cmd.Flags().BoolVar(&o.FallbackAll, "fallback-all", false, "when git cannot answer (unknown ref, shallow clone, no repository), treat everything as affected instead of failing")
	addPlatformFlags(cmd, &o.platform)
}

// run computes the affected set; with FallbackAll a git failure yields every
// project, said on stderr.
func (o *affectedOptions) run(cmd *cobra.Command, ws *workspace.Workspace) (*affected.Report, *graph.Graph, error) {
	rep, gr, err := affected.Run(cmd.Context(), ws, affected.Options{
		Base: o.Base, Head: o.Head, Target: o.Target, ModCache: goModCache(), Graph: o.platform.graphOptions(),
	})
	if err == nil {
		return rep, gr, nil
	}
	gitProblem := errors.Is(err, affected.ErrNotGitRepo) || errors.Is(err, affected.ErrUnknownRef) || strings.HasPrefix(err.Error(), "git ")
	if !o.FallbackAll || !gitProblem {
		return nil, nil, err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "cent: %v\ncent: --fallback-all: treating every project as affected\n", err)
	gr, gerr := graph.Build(cmd.Context(), ws, o.platform.graphOptions())
	if gerr != nil {
		return nil, nil, gerr
	}
	res := affected.Everything(gr, o.Target, "fallback: "+err.Error())
	return &affected.Report{Result: res, Base: o.Base, Head: o.Head, Changes: []affected.Change{}}, gr, nil
}

// goModCache returns GOMODCACHE as the go command computes it, without
// running it.
func goModCache() string {
	if v := os.Getenv("GOMODCACHE"); v != "" {
		return v
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
}

func newAffectedCmd(g *GlobalOptions) *cobra.Command {
	o := &affectedOptions{}
	var (
		asJSON, packages bool
		typ              string
	)
	cmd := &cobra.Command{
		Use:   "affected",
		Short: "List the projects a git change affects, at Go package precision",
		Long: `List the projects affected by the changes between the merge base of --base and
--head (default: the working tree, with uncommitted and untracked files).

A changed Go file affects its package and every package importing it, directly
or not; a changed _test.go file affects only its own project's tests; other files
affect their project when they are among the target's inputs; a go.mod or go.sum
change affects only the packages using a changed module (a go directive,
toolchain or go.work change affects everything).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			analysisGC()
			if typ != "" && !validType(typ) {
				return fmt.Errorf("--type: unknown project type %q (want one of %s)", typ, typeList())
			}
			ws, err := g.Workspace(cmd.Context())
			if err != nil {
				return err
			}
			rep, _, err := o.run(cmd, ws)
			if err != nil {
				return err
			}
			if typ != "" {
				kept := rep.Projects[:0]
				for _, p := range rep.Projects {
					if string(p.Type) == typ {
						kept = append(kept, p)
					}
				}
				rep.Projects = kept
			}
			w := cmd.OutOrStdout()
			switch {
			case asJSON:
				return writeJSON(w, rep)
			case packages:
				for _, p := range rep.Packages {
					fmt.Fprintln(w, p)
				}
			default:
				if rep.All {
					fmt.Fprintf(cmd.ErrOrStderr(), "cent: everything is affected: %s\n", rep.AllReason)
				}
				for _, p := range rep.Projects {
					fmt.Fprintln(w, p.Name)
				}
			}
			return nil
		},
	}
	addAffectedFlags(cmd, o)
	cmd.Flags().StringVarP(&o.Target, "target", "t", "", "only projects with this target, counting only files among its inputs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON with reasons, packages and changed files")
	cmd.Flags().BoolVar(&packages, "packages", false, "print affected package import paths instead of projects")
	cmd.Flags().StringVar(&typ, "type", "", "only projects of this type")
	return cmd
}
