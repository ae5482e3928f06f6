package commands

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/vuln"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func init() { register(newVulnCmd) }

// envVulnDB names the vulnerability database when --db is not given.
const envVulnDB = "CENT_VULNDB"

// vulnOptions are cent vuln's flags.
type vulnOptions struct {
	affected affectedOptions
	All      bool
	Affected bool
	JSON     bool
	DB       string
	Parallel int
}

func newVulnCmd(g *GlobalOptions) *cobra.Command {
	o := &vulnOptions{}
	cmd := &cobra.Command{
		Use:   "vuln [PROJECT...]",
		Short: "Report known Go vulnerabilities that projects actually call",
		Long: `Run govulncheck over each chosen project's packages and report, per project,
the known vulnerabilities whose vulnerable functions its code can reach, with
a call trace. A vulnerable module that is only required, or a vulnerable
package that is imported but whose vulnerable functions are never called, is
not reported.

Choose the projects by name, with --all, or with --affected --base REF (the
projects a change affects, computed as cent affected does; --head changes
which projects are chosen, while the scan reads the checked-out tree).

The database is the public Go vulnerability database unless --db (or
$` + envVulnDB + `) names another: an https URL, or a local directory in the same
layout (index/db.json, index/modules.json, ID/<id>.json) for offline use.

Exit status: 0 when nothing reachable is found, 1 when a project reaches a
vulnerability, 2 on errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := o.run(cmd, g, args)
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			if code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &ExitError{Code: 2, Err: err} })
	addAffectedFlags(cmd, &o.affected)
	cmd.Flags().BoolVar(&o.All, "all", false, "scan every project of the workspace")
	cmd.Flags().BoolVar(&o.Affected, "affected", false, "scan the projects affected by the change since --base")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&o.DB, "db", "", "vulnerability database: an https `URL` or a local directory (default $"+envVulnDB+", else "+vuln.DefaultDB+")")
	cmd.Flags().IntVar(&o.Parallel, "parallel", 2, "projects scanned at once")
	return cmd
}

// run scans the chosen projects and returns the exit code: 1 when a
// vulnerability is reachable.
func (o *vulnOptions) run(cmd *cobra.Command, g *GlobalOptions, args []string) (int, error) {
	ctx := cmd.Context()
	if !exactlyOne(len(args) > 0, o.All, o.Affected) {
		return 0, errors.New("name the projects, or give --all or --affected (exactly one of them)")
	}
	if o.Parallel < 1 {
		return 0, fmt.Errorf("--parallel: %d is not a positive number", o.Parallel)
	}
	db, what := o.DB, "--db"
	if db == "" {
		db, what = os.Getenv(envVulnDB), envVulnDB
	} else {
		db = g.path(db)
	}
	src, err := vuln.Source(db)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	ws, err := g.Workspace(ctx)
	if err != nil {
		return 0, err
	}
	projects, gr, err := o.projects(cmd, ws, args)
	if err != nil {
		return 0, err
	}
	rep, err := vuln.Scan(ctx, o.scanOptions(ws, src), targets(gr, projects))
	if err != nil {
		return 0, err
	}
	w := cmd.OutOrStdout()
	if o.JSON {
		err = writeJSON(w, rep)
	} else {
		err = vuln.WriteText(w, rep)
	}
	if err != nil {
		return 0, err
	}
	if len(rep.Vulnerable()) > 0 {
		return 1, nil
	}
	return 0, nil
}

// scanOptions builds the scan's options; the environment is read here.
func (o *vulnOptions) scanOptions(ws *workspace.Workspace, db string) vuln.Options {
	p := o.affected.platform
	plat := ws.Config.Platform
	env := os.Environ()
	if goos := firstNonEmpty(p.GOOS, plat.GOOS); goos != "" {
		env = append(env, "GOOS="+goos)
	}
	if goarch := firstNonEmpty(p.GOARCH, plat.GOARCH); goarch != "" {
		env = append(env, "GOARCH="+goarch)
	}
	dirs := map[string]string{}
	for _, m := range ws.Modules {
		dirs[m.Path] = m.Dir
	}
	return vuln.Options{
		Dir:        ws.Root,
		DB:         db,
		Tags:       append(slices.Clone(plat.BuildTags), p.Tags...),
		Env:        env,
		Parallel:   o.Parallel,
		ModuleDirs: dirs,
	}
}

// projects returns the chosen projects, sorted by name, and the graph.
func (o *vulnOptions) projects(cmd *cobra.Command, ws *workspace.Workspace, args []string) ([]string, *graph.Graph, error) {
	names, gr, err := o.affected.selectProjects(cmd, ws, args, o.All, o.Affected)
	if err != nil {
		return nil, nil, err
	}
	if !o.Affected {
		names = slices.Clone(names)
		slices.Sort(names)
		names = slices.Compact(names)
	}
	return names, gr, nil
}

// targets lists each project's packages that have non-test Go files: the
// roots govulncheck scans.
func targets(gr *graph.Graph, projects []string) []vuln.Target {
	out := make([]vuln.Target, 0, len(projects))
	for _, name := range projects {
		t := vuln.Target{Project: name}
		for _, p := range gr.PackagesOf(name) {
			if len(p.GoFiles) > 0 {
				t.Packages = append(t.Packages, p.ImportPath)
			}
		}
		out = append(out, t)
	}
	return out
}
