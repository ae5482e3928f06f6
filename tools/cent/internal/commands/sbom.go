package commands

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/image"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func init() { register(newSBOMCmd) }

func newSBOMCmd(g *GlobalOptions) *cobra.Command {
	var (
		build           imageBuildOptions
		fromLayout, ref string
		tag             string
	)
	cmd := &cobra.Command{
		Use:   "sbom APP",
		Short: "Print an app's SPDX 2.3 SBOM (from its binary's Go build info)",
		Long: `Print the SPDX 2.3 JSON SBOM of an app for one --platform: its main module,
every module dependency linked into the binary with version and go.sum hash,
and the Go standard library at the toolchain's version.

By default the app is compiled as cent image would; with --oci-layout DIR the
SBOM attached by cent image --sbom is read from the layout (index APP:TAG),
and with --image REF from a registry.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			platforms, err := image.ParsePlatforms(build.Platforms)
			if err != nil {
				return fmt.Errorf("--platform: %w", err)
			}
			if len(platforms) != 1 {
				return fmt.Errorf("--platform: name one platform, not %d", len(platforms))
			}
			var idx v1.ImageIndex
			switch {
			case fromLayout != "" && ref != "":
				return fmt.Errorf("give --oci-layout or --image, not both")
			case fromLayout != "":
				idx, err = layoutIndex(g.path(fromLayout), args[0]+":"+tag)
			case ref != "":
				r, perr := name.ParseReference(ref)
				if perr != nil {
					return fmt.Errorf("--image: %w", perr)
				}
				idx, err = remote.Index(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
			default:
				ws, lerr := g.Workspace(ctx)
				if lerr != nil {
					return lerr
				}
				p, perr := ws.Project(args[0])
				if perr != nil {
					return perr
				}
				if p.Type != workspace.TypeApp {
					return fmt.Errorf("project %q is a %s, not an app", p.Name, p.Type)
				}
				build.BaseImage = "scratch"
				opts, oerr := build.options(ctx, g, ws, p)
				if oerr != nil {
					return oerr
				}
				opts.SBOM = true
				idx, err = image.Build(ctx, opts)
			}
			if err != nil {
				return err
			}
			doc, err := image.ReadSBOM(idx, platforms[0])
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(doc)
			return err
		},
	}
	addImageBuildFlags(cmd, &build, "linux/amd64")
	cmd.Flags().StringVar(&fromLayout, "oci-layout", "", "read the SBOM from the OCI layout `dir` written by cent image --sbom")
	cmd.Flags().StringVar(&tag, "tag", "latest", "the image tag in the OCI layout")
	cmd.Flags().StringVar(&ref, "image", "", "read the SBOM from this registry `reference`")
	if f := cmd.Flags().Lookup("base-image"); f != nil {
		f.Hidden = true
	}
	return cmd
}

// layoutIndex returns the index named refName in the OCI layout dir.
func layoutIndex(dir, refName string) (v1.ImageIndex, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--oci-layout: %w", err)
	}
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("--oci-layout %s: %w", dir, err)
	}
	m, err := root.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Annotations[image.AnnotationRefName] == refName && d.MediaType.IsIndex() {
			return root.ImageIndex(d.Digest)
		}
	}
	return nil, fmt.Errorf("--oci-layout %s: no index named %q", dir, refName)
}
