// Package deploycmd is cent's deploy verb. It links Helm and the Kubernetes
// API types, so only the cent-full binary imports it; cent runs that
// binary for `cent deploy`.
package deploycmd

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/centuria/centuria/tools/cent/internal/commands"
	"github.com/centuria/centuria/tools/cent/internal/jsonout"
	"github.com/centuria/centuria/tools/cent/pkg/deploy"
)

func init() { commands.Register(newDeployCmd) }

// deployPreviewOptions are the flags of cent deploy preview.
type deployPreviewOptions struct {
	Apps           []string
	JSON           bool
	Manifests      bool
	KubeVersion    string
	ApplicationSet string
}

func addDeployPreviewFlags(cmd *cobra.Command, o *deployPreviewOptions) {
	cmd.Flags().StringSliceVar(&o.Apps, "app", nil, "preview only this Application (repeatable); prints its object and manifests")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON: every Application with its rendered manifests")
	cmd.Flags().BoolVar(&o.Manifests, "manifests", false, "print every Application and its manifests, not just the list")
	cmd.Flags().StringVar(&o.KubeVersion, "kube-version", deploy.DefaultKubeVersion, "Kubernetes version to render charts for")
	cmd.Flags().StringVar(&o.ApplicationSet, "appset", deploy.ApplicationSetFile, "workspace-relative ApplicationSet file")
}

func newDeployCmd(g *commands.GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Delivery helpers: preview the ArgoCD Applications offline",
	}
	o := &deployPreviewOptions{}
	preview := &cobra.Command{
		Use:   "preview",
		Short: "List the Applications the ApplicationSet generates and render each chart offline",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ws, err := g.Workspace(cmd.Context())
			if err != nil {
				return err
			}
			results, err := deploy.Preview(cmd.Context(), ws.Root, deploy.Options{
				ApplicationSet: o.ApplicationSet, KubeVersion: o.KubeVersion, Apps: o.Apps})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.JSON {
				if err := jsonout.Write(out, results); err != nil {
					return err
				}
			} else if err := printPreview(out, results, o.Manifests || len(o.Apps) > 0); err != nil {
				return err
			}
			failed := 0
			for _, r := range results {
				if r.Err != nil {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "cent: %s: %v\n", r.Application.Name, r.Err)
				}
			}
			if failed > 0 {
				return &commands.ExitError{Code: 1, Err: fmt.Errorf("%d of %d Applications failed to render", failed, len(results))}
			}
			return nil
		},
	}
	addDeployPreviewFlags(preview, o)
	cmd.AddCommand(preview, newDeploySetImageCmd(g))
	return cmd
}

// deploySetImageOptions are the flags of cent deploy set-image.
type deploySetImageOptions struct {
	Digest         string
	ApplicationSet string
}

func addDeploySetImageFlags(cmd *cobra.Command, o *deploySetImageOptions) {
	cmd.Flags().StringVar(&o.Digest, "digest", "", "image digest to deploy (sha256:<64 hex>)")
	cmd.Flags().StringVar(&o.ApplicationSet, "appset", deploy.ApplicationSetFile, "workspace-relative ApplicationSet file")
}

// newDeploySetImageCmd writes an image digest into the values file the
// ApplicationSet reads for an app: CI's image job runs it after a push.
func newDeploySetImageCmd(g *commands.GlobalOptions) *cobra.Command {
	o := &deploySetImageOptions{}
	cmd := &cobra.Command{
		Use:   "set-image APP --digest sha256:...",
		Short: "Write an image digest into the app's deploy values (one-line change)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Digest == "" {
				return fmt.Errorf("--digest is required")
			}
			ws, err := g.Workspace(cmd.Context())
			if err != nil {
				return err
			}
			file, err := deploy.SetAppImageDigest(cmd.Context(), ws.Root, o.ApplicationSet, args[0], o.Digest)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: image.digest %s\n", file, o.Digest)
			return nil
		},
	}
	addDeploySetImageFlags(cmd, o)
	return cmd
}

// printPreview prints the Application table and, when full is set, each
// Application object followed by its manifests as a YAML stream.
func printPreview(w io.Writer, results []*deploy.Result, full bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APPLICATION\tNAMESPACE\tVALUES\tOBJECTS")
	for _, r := range results {
		objects := fmt.Sprint(len(r.Manifests))
		if r.Err != nil {
			objects = "error"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Application.Name, r.Application.Destination.Namespace, r.Application.File, objects)
	}
	if err := tw.Flush(); err != nil || !full {
		return err
	}
	for _, r := range results {
		app, err := yaml.Marshal(r.Application.Object)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "---\n# Application %s (from %s)\n%s", r.Application.Name, r.Application.File, app)
		for _, m := range r.Manifests {
			fmt.Fprintf(w, "---\n# Source: %s\n%s", m.Template, m.Content)
		}
	}
	return nil
}
