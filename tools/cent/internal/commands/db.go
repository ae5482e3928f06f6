package commands

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/libs/platform/postgres"
)

func init() { register(newDBCmd) }

// envAdminURL names the admin connection used by cent db provision.
const envAdminURL = "CENT_DB_ADMIN_URL"

// defaultAdminURL is the local development server.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func newDBCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Database per service: provisioning and migrations"}
	var (
		adminURL    string
		passwordEnv string
		migrate     bool
	)
	prov := &cobra.Command{
		Use:   "provision PROJECT",
		Short: "Create the project's own database and login role (idempotent), and optionally migrate it",
		Long: `Create, idempotently, the database and login role of one service: both are
named after the project (dashes become underscores); the role owns its database
and no other service role can connect to it or read its tables. With --migrate,
the goose migrations in the project's migrations/ directory are applied. Prints
the service's DATABASE_URL.

The admin connection comes from --admin-url, else $` + envAdminURL + `, else the
local server (` + defaultAdminURL + `).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := g.Workspace(cmd.Context())
			if err != nil {
				return err
			}
			p, err := ws.Project(args[0])
			if err != nil {
				return err
			}
			admin := firstNonEmpty(adminURL, os.Getenv(envAdminURL), defaultAdminURL)
			var opts []postgres.ProvisionOption
			if passwordEnv != "" {
				pw := os.Getenv(passwordEnv)
				if pw == "" {
					return fmt.Errorf("--password-env: $%s is empty", passwordEnv)
				}
				opts = append(opts, postgres.WithPassword(pw))
			}
			svcURL, err := postgres.Provision(cmd.Context(), admin, p.Name, opts...)
			if err != nil {
				return fmt.Errorf("provisioning %s: %w", p.Name, err)
			}
			if migrate {
				dir := filepath.Join(ws.Root, filepath.FromSlash(p.Root), "migrations")
				if _, err := os.Stat(dir); err != nil {
					return fmt.Errorf("--migrate: %s has no migrations directory: %w", p.Name, err)
				}
				versions, err := postgres.Migrate(cmd.Context(), postgres.Config{URL: svcURL, DirectURL: svcURL}, os.DirFS(dir))
				if err != nil {
					return fmt.Errorf("migrating %s: %w", p.Name, err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "cent: %s: applied %d migration(s)\n", p.Name, len(versions))
			}
			fmt.Fprintln(cmd.OutOrStdout(), svcURL)
			return nil
		},
	}
	prov.Flags().StringVar(&adminURL, "admin-url", "", "superuser (or CREATEROLE+CREATEDB) connection `URL`")
	prov.Flags().StringVar(&passwordEnv, "password-env", "", "set the role's password from this environment `variable`")
	prov.Flags().BoolVar(&migrate, "migrate", false, "apply the project's migrations/ (goose) after provisioning")
	cmd.AddCommand(prov)
	return cmd
}
