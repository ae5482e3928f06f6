package commands

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/boundary"
)

func init() { register(newLintCmd) }

func newLintCmd(g *GlobalOptions) *cobra.Command {
	var (
		asJSON   bool
		platform platformOptions
	)
	cmd := &cobra.Command{
		Use:   "lint [PROJECT...]",
		Short: "Check project boundaries: library types, scopes and tag rules",
		Long: `Check every import between projects against the boundary rules: an app may use
any library; feature → feature, ui, data-access, util; ui → ui, util;
data-access → data-access, util; util → util; no library imports an app; a
project tagged scope:X depends only on scope X or a shared scope (shared,
platform). Untyped libraries (type lib) are infrastructure any library may use.
Rules are configurable in cent.yaml under boundaries. Exit status 1 on
violations.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			analysisGC()
			ws, gr, err := loadGraph(cmd.Context(), g, platform)
			if err != nil {
				return err
			}
			for _, a := range args {
				if _, err := ws.Project(a); err != nil {
					return err
				}
			}
			vs := boundary.Check(gr, boundary.NewRules(ws.Config.Boundaries), args...)
			w := cmd.OutOrStdout()
			if asJSON {
				if vs == nil {
					vs = []boundary.Violation{}
				}
				if err := writeJSON(w, map[string]any{"violations": vs, "cycles": gr.Cycles}); err != nil {
					return err
				}
			} else {
				for _, v := range vs {
					fmt.Fprintln(w, v)
				}
				for _, c := range gr.Cycles {
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: project import cycle: %s\n", strings.Join(append(c, c[0]), " → "))
				}
			}
			if len(vs) > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("%d boundary violation(s)", len(vs))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	addPlatformFlags(cmd, &platform)
	return cmd
}
