package commands

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/matrix"
)

func init() { register(newCICmd) }

func newCICmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "ci", Short: "Helpers for CI pipelines"}
	o := &affectedOptions{}
	var (
		typ          string
		all          bool
		maxJobs      int
		githubOutput bool
	)
	mc := &cobra.Command{
		Use:   "matrix",
		Short: "Print the GitHub Actions matrix (JSON) of the affected projects",
		Long: `Print {"include":[...]} for strategy.matrix: one job per affected project with
the target (and type), or, beyond --max-jobs (GitHub's limit is 256), that many
jobs each running an even batch of projects. Each entry has name, projects
(space-separated names for cent run), roots and count. With --github-output
the matrix and the project count are also appended to $GITHUB_OUTPUT as
matrix=... and count=....`,
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
			var ps []matrix.Project
			if all {
				for _, p := range ws.Projects {
					if _, ok := p.Targets[o.Target]; (o.Target == "" || ok) && (typ == "" || string(p.Type) == typ) {
						ps = append(ps, matrix.Project{Name: p.Name, Root: p.Root})
					}
				}
			} else {
				rep, _, err := o.run(cmd, ws)
				if err != nil {
					return err
				}
				for _, p := range rep.Projects {
					if typ == "" || string(p.Type) == typ {
						ps = append(ps, matrix.Project{Name: p.Name, Root: p.Root})
					}
				}
			}
			m, err := matrix.Build(ps, maxJobs)
			if err != nil {
				return fmt.Errorf("--max-jobs: %w", err)
			}
			data, err := json.Marshal(m)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(data))
			if githubOutput {
				file := os.Getenv("GITHUB_OUTPUT")
				if file == "" {
					return fmt.Errorf("--github-output: GITHUB_OUTPUT is not set")
				}
				f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
				if err != nil {
					return fmt.Errorf("--github-output: %w", err)
				}
				_, err = fmt.Fprintf(f, "matrix=%s\ncount=%d\n", data, len(ps))
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return fmt.Errorf("--github-output: %w", err)
				}
			}
			return nil
		},
	}
	addAffectedFlags(mc, o)
	mc.Flags().StringVarP(&o.Target, "target", "t", "build", "only projects with this target, counting only files among its inputs")
	mc.Flags().StringVar(&typ, "type", "", "only projects of this type (e.g. app for image builds)")
	mc.Flags().BoolVar(&all, "all", false, "every project with the target, not only the affected ones (nightly runs)")
	mc.Flags().IntVar(&maxJobs, "max-jobs", matrix.MaxJobs, "at most this many jobs; projects are batched beyond it")
	mc.Flags().BoolVar(&githubOutput, "github-output", false, "also append matrix= and count= to $GITHUB_OUTPUT")
	cmd.AddCommand(mc)
	return cmd
}
