package commands

import (
	"fmt"
	"path"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/scaffold"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func init() { register(newNewCmd) }

// newAppOptions are the flags of cent new app.
type newAppOptions struct {
	Scope     string
	ImageRepo string
}

// newLibOptions are the flags of cent new lib.
type newLibOptions struct {
	Scope string
	Type  string
}

func newNewCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Scaffold a new app or library that follows the workspace's conventions",
	}
	ao := &newAppOptions{}
	app := &cobra.Command{
		Use:   "app NAME [--scope S]",
		Short: "Scaffold a service on the chassis runtime: apps/NAME",
		Long: `Write apps/NAME: main.go on the chassis runtime (libs/platform/service) with a
first route, migrations/ with a first goose migration embedded in the binary, a
test that starts the service in process against PostgreSQL and NATS and waits
for /readyz, a README with its configuration, project.yaml (tagged
scope:S with --scope) and deploy/values.yaml for the service chart, which the
ArgoCD ApplicationSet picks up. It builds, passes cent lint and deploys with no
edit. NAME is a lowercase DNS label of at most ` + fmt.Sprint(scaffold.MaxNameLength) + ` characters.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := scaffoldWorkspace(cmd, g, path.Join("apps", args[0]))
			if err != nil {
				return err
			}
			res, err := scaffold.NewApp(ws, scaffold.AppOptions{Name: args[0], Scope: ao.Scope, ImageRepository: ao.ImageRepo})
			if err != nil {
				return err
			}
			return printScaffold(cmd, res)
		},
	}
	app.Flags().StringVar(&ao.Scope, "scope", "", "tag the app scope:`S` (cent lint then allows it scope S and the shared scopes)")
	app.Flags().StringVar(&ao.ImageRepo, "image-repo", "", "image repository in deploy/values.yaml (default "+scaffold.DefaultImageRegistry+"/NAME)")

	lo := &newLibOptions{}
	lib := &cobra.Command{
		Use:   "lib NAME --type T --scope S",
		Short: "Scaffold a library: libs/S/T-NAME",
		Long: `Write libs/S/T-NAME with a package doc and a test. T is the library type
cent lint's rules know: feature, ui, data-access or util. The Go package is
NAME without dashes; NAME and S are lowercase DNS labels.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if lo.Scope == "" {
				return fmt.Errorf("--scope is required: the library goes in libs/SCOPE/")
			}
			if lo.Type == "" {
				return fmt.Errorf("--type is required: one of feature, ui, data-access, util")
			}
			ws, err := scaffoldWorkspace(cmd, g, path.Join("libs", lo.Scope))
			if err != nil {
				return err
			}
			res, err := scaffold.NewLib(ws, scaffold.LibOptions{Name: args[0], Scope: lo.Scope, Type: lo.Type})
			if err != nil {
				return err
			}
			return printScaffold(cmd, res)
		},
	}
	lib.Flags().StringVar(&lo.Scope, "scope", "", "the library's scope `S`: libs/S/")
	lib.Flags().StringVar(&lo.Type, "type", "", "library type `T`: feature, ui, data-access or util")
	cmd.AddCommand(app, lib)
	return cmd
}

// scaffoldWorkspace loads the workspace and describes it for the scaffold:
// the module the new directory dir falls in and the existing projects.
func scaffoldWorkspace(cmd *cobra.Command, g *GlobalOptions, dir string) (scaffold.Workspace, error) {
	ws, err := g.Workspace(cmd.Context())
	if err != nil {
		return scaffold.Workspace{}, err
	}
	mod := ws.ModuleForDir(dir)
	if mod == nil {
		return scaffold.Workspace{}, fmt.Errorf("%s is in no Go module of the workspace", dir)
	}
	return scaffold.Workspace{Root: ws.Root, Module: mod.Path, Projects: projectRoots(ws)}, nil
}

func projectRoots(ws *workspace.Workspace) map[string]string {
	m := make(map[string]string, len(ws.Projects))
	for _, p := range ws.Projects {
		m[p.Name] = p.Root
	}
	return m
}

func printScaffold(cmd *cobra.Command, res *scaffold.Result) error {
	w := cmd.OutOrStdout()
	for _, f := range res.Files {
		fmt.Fprintln(w, "created", f)
	}
	fmt.Fprintf(w, "project %s in %s\n", res.Project, res.Dir)
	return nil
}
