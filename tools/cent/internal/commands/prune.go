package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/prune"
)

func init() { register(newPruneCmd) }

func newPruneCmd(g *GlobalOptions) *cobra.Command {
	var (
		out      string
		list     bool
		platform platformOptions
	)
	cmd := &cobra.Command{
		Use:   "prune APP --out DIR",
		Short: "Write a minimal build context for an app (go.mod, go.sum and exactly the packages it needs)",
		Long: `Write a minimal Docker build context for one project: go.mod and go.sum (and
go.work), the non-test Go files of every workspace package the project imports
transitively (files for other platforms included) and their //go:embed files.
Unrelated projects are left out, so changing them keeps the Docker layer cache
warm; the same inputs give a byte-identical tree. Build it with
docker build -f Dockerfile --build-arg APP=<app> DIR.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" && !list {
				return fmt.Errorf("--out is required (or --list to print the files)")
			}
			ws, gr, err := loadGraph(cmd.Context(), g, platform)
			if err != nil {
				return err
			}
			files, err := prune.Files(gr, args[0])
			if err != nil {
				return err
			}
			if list {
				for _, f := range files {
					fmt.Fprintln(cmd.OutOrStdout(), f)
				}
				return nil
			}
			if err := prune.Write(cmd.Context(), ws.Root, files, g.path(out)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "cent: wrote %d files to %s\n", len(files), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the context to this empty `directory`")
	cmd.Flags().BoolVar(&list, "list", false, "print the files instead of writing them")
	addPlatformFlags(cmd, &platform)
	return cmd
}
