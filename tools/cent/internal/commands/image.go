package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/image"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

func init() { register(newImageCmd) }

// imageBuildOptions are the flags shared by cent image and cent sbom.
type imageBuildOptions struct {
	Platforms       string
	BaseImage       string
	CABundle        string
	Source          string
	Revision        string
	SourceDateEpoch string
}

func addImageBuildFlags(cmd *cobra.Command, o *imageBuildOptions, defaultPlatforms string) {
	cmd.Flags().StringVar(&o.Platforms, "platform", defaultPlatforms, "comma-separated `platforms` to build (linux/amd64, linux/arm64, linux/arm/v7, ...)")
	cmd.Flags().StringVar(&o.BaseImage, "base-image", "scratch", "base image: scratch (built in: CA certificates, nonroot user 65532, /tmp), oci:DIR[:NAME] for an OCI layout, or a registry reference")
	cmd.Flags().StringVar(&o.CABundle, "ca-bundle", "", "PEM `file` of CA certificates for the scratch base (default: the machine's bundle)")
	cmd.Flags().StringVar(&o.Source, "source", "", "org.opencontainers.image.source label (a repository URL)")
	cmd.Flags().StringVar(&o.Revision, "revision", "", "org.opencontainers.image.revision label (default: git HEAD of the workspace, when it is a repository)")
	cmd.Flags().StringVar(&o.SourceDateEpoch, "source-date-epoch", "", "timestamp for every file, config and SBOM, in `seconds` since 1970 (default: $SOURCE_DATE_EPOCH, else 0)")
}

// options turns the flags into library options for one project; the
// environment is read here, at the edge.
func (o *imageBuildOptions) options(ctx context.Context, g *globalOptions, ws *workspace.Workspace, p *workspace.Project) (image.Options, error) {
	platforms, err := image.ParsePlatforms(o.Platforms)
	if err != nil {
		return image.Options{}, fmt.Errorf("--platform: %w", err)
	}
	epoch, err := o.epoch()
	if err != nil {
		return image.Options{}, err
	}
	var ca []byte
	if o.BaseImage == "" || o.BaseImage == "scratch" {
		if o.CABundle != "" {
			ca, err = os.ReadFile(g.path(o.CABundle))
		} else {
			ca, err = image.SystemCABundle()
		}
		if err != nil {
			return image.Options{}, fmt.Errorf("--ca-bundle: %w", err)
		}
	}
	base, err := image.ParseBase(o.BaseImage, ca, epoch)
	if err != nil {
		return image.Options{}, fmt.Errorf("--base-image: %w", err)
	}
	rev := o.Revision
	if rev == "" {
		rev = gitHead(ctx, ws.Root)
	}
	return image.Options{
		Dir:             ws.Root,
		Package:         "./" + p.Root,
		Name:            p.Name,
		Platforms:       platforms,
		Base:            base,
		Source:          o.Source,
		Revision:        rev,
		SourceDateEpoch: epoch,
		Env:             os.Environ(),
	}, nil
}

// epoch returns --source-date-epoch, else $SOURCE_DATE_EPOCH, else 0.
func (o *imageBuildOptions) epoch() (int64, error) {
	s, what := o.SourceDateEpoch, "--source-date-epoch"
	if s == "" {
		s, what = os.Getenv("SOURCE_DATE_EPOCH"), "SOURCE_DATE_EPOCH"
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a non-negative number of seconds", what, s)
	}
	return n, nil
}

// gitHead returns the commit checked out in dir, or "" outside git.
func gitHead(ctx context.Context, dir string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// imageOptions are cent image's own flags.
type imageOptions struct {
	build     imageBuildOptions
	affected  affectedOptions
	All       bool
	Affected  bool
	SBOM      bool
	OCILayout string
	Tarball   string
	Push      string
	Tag       string
	GzipLevel int
	JSON      bool
}

// imageResult is one built image, as printed by --json.
type imageResult struct {
	App       string   `json:"app"`
	Digest    string   `json:"digest"`
	Platforms []string `json:"platforms"`
	Pushed    string   `json:"pushed,omitempty"`
}

func newImageCmd(g *globalOptions) *cobra.Command {
	o := &imageOptions{}
	cmd := &cobra.Command{
		Use:   "image [APP...]",
		Short: "Build reproducible multi-platform OCI images of apps, without a container daemon",
		Long: `Build an OCI image per app: the app is cross-compiled for every --platform
(CGO_ENABLED=0, -trimpath, no build ID) and its static binary layered at
` + image.BinaryPath + ` on a base image, running as user ` + image.NonRootUser + `. The same
sources, toolchain and flags give the same digest on any machine.

Choose the apps by name, with --all, or with --affected --base REF (only apps
a change affects). Write the images to an OCI layout (--oci-layout DIR, one
index per app named APP:TAG), a docker-loadable tarball (--tarball FILE; the
docker format holds one platform per image, so it gets the first --platform),
or a registry (--push REPO pushes REPO/APP:TAG, with the credentials of the
docker config and its credential helpers). Without an output the images are
built and their digests printed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, args)
		},
	}
	addImageBuildFlags(cmd, &o.build, "linux/amd64,linux/arm64")
	addAffectedFlags(cmd, &o.affected)
	cmd.Flags().BoolVar(&o.All, "all", false, "build every app of the workspace")
	cmd.Flags().BoolVar(&o.Affected, "affected", false, "build the apps affected by the change since --base")
	cmd.Flags().BoolVar(&o.SBOM, "sbom", false, "attach an SPDX 2.3 SBOM (from the binary's build info) to each platform image")
	cmd.Flags().StringVar(&o.OCILayout, "oci-layout", "", "write the images into the OCI layout `dir`")
	cmd.Flags().StringVar(&o.Tarball, "tarball", "", "write a docker-loadable tarball `file` (first --platform only)")
	cmd.Flags().StringVar(&o.Push, "push", "", "push to `repo`/APP:TAG")
	cmd.Flags().StringVar(&o.Tag, "tag", "latest", "image tag")
	cmd.Flags().IntVar(&o.GzipLevel, "gzip-level", image.DefaultGzipLevel, "gzip `level` (1-9) of the binary layer; it changes the digest")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the results as JSON")
	return cmd
}

func (o *imageOptions) run(cmd *cobra.Command, g *globalOptions, args []string) error {
	ctx := cmd.Context()
	picked := 0
	for _, b := range []bool{len(args) > 0, o.All, o.Affected} {
		if b {
			picked++
		}
	}
	if picked != 1 {
		return errors.New("name the apps, or give --all or --affected (exactly one of them)")
	}
	if _, err := name.NewTag("example.com/x:"+o.Tag, name.StrictValidation); err != nil {
		return fmt.Errorf("--tag %q: not a valid tag", o.Tag)
	}
	ws, err := loadWorkspace(ctx, g)
	if err != nil {
		return err
	}
	apps, err := o.apps(cmd, ws, args)
	if err != nil {
		return err
	}
	var results []imageResult
	tarImages := map[name.Tag]v1.Image{}
	for _, p := range apps {
		res, err := o.buildOne(cmd, g, ws, p, tarImages)
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		results = append(results, res)
	}
	if o.Tarball != "" && len(tarImages) > 0 {
		if err := image.WriteTarball(g.path(o.Tarball), tarImages); err != nil {
			return err
		}
	}
	w := cmd.OutOrStdout()
	if o.JSON {
		if results == nil {
			results = []imageResult{}
		}
		return writeJSON(w, results)
	}
	if len(results) == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), "cent: no app to build")
	}
	for _, r := range results {
		line := r.App + " " + r.Digest + " " + strings.Join(r.Platforms, ",")
		if r.Pushed != "" {
			line += " " + r.Pushed
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

// apps returns the app projects to build.
func (o *imageOptions) apps(cmd *cobra.Command, ws *workspace.Workspace, args []string) ([]*workspace.Project, error) {
	var out []*workspace.Project
	switch {
	case len(args) > 0:
		for _, a := range args {
			p, err := ws.Project(a)
			if err != nil {
				return nil, err
			}
			if p.Type != workspace.TypeApp {
				return nil, fmt.Errorf("project %q is a %s, not an app", a, p.Type)
			}
			out = append(out, p)
		}
	case o.All:
		for _, p := range ws.Projects {
			if p.Type == workspace.TypeApp {
				out = append(out, p)
			}
		}
	default:
		rep, _, err := o.affected.run(cmd, ws)
		if err != nil {
			return nil, err
		}
		for _, a := range rep.Projects {
			if a.Type == workspace.TypeApp {
				p, err := ws.Project(a.Name)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// buildOne builds one app and writes it to the layout and registry; its
// tarball image is collected into tarImages.
func (o *imageOptions) buildOne(cmd *cobra.Command, g *globalOptions, ws *workspace.Workspace, p *workspace.Project, tarImages map[name.Tag]v1.Image) (imageResult, error) {
	ctx := cmd.Context()
	opts, err := o.build.options(ctx, g, ws, p)
	if err != nil {
		return imageResult{}, err
	}
	opts.SBOM = o.SBOM
	opts.GzipLevel = o.GzipLevel
	opts.BuildTags = o.affected.platform.Tags
	idx, err := image.Build(ctx, opts)
	if err != nil {
		return imageResult{}, err
	}
	d, err := idx.Digest()
	if err != nil {
		return imageResult{}, err
	}
	res := imageResult{App: p.Name, Digest: d.String()}
	for _, pl := range opts.Platforms {
		res.Platforms = append(res.Platforms, pl.String())
	}
	if o.OCILayout != "" {
		if err := image.WriteLayout(g.path(o.OCILayout), idx, p.Name+":"+o.Tag); err != nil {
			return res, err
		}
	}
	if o.Tarball != "" {
		img, err := image.PlatformImage(idx, opts.Platforms[0])
		if err != nil {
			return res, err
		}
		tag, err := name.NewTag(p.Name + ":" + o.Tag)
		if err != nil {
			return res, err
		}
		tarImages[tag] = img
		if len(opts.Platforms) > 1 {
			fmt.Fprintf(cmd.ErrOrStderr(), "cent: %s: the tarball holds %s only (docker tarballs are single-platform)\n", p.Name, opts.Platforms[0])
		}
	}
	if o.Push != "" {
		ref, err := name.NewTag(strings.TrimSuffix(o.Push, "/") + "/" + p.Name + ":" + o.Tag)
		if err != nil {
			return res, fmt.Errorf("--push: %w", err)
		}
		pushed, err := image.Push(ctx, ref, idx)
		if err != nil {
			return res, err
		}
		res.Pushed = ref.Context().Digest(pushed.String()).String()
	}
	return res, nil
}
