package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/image"
	"github.com/centuria/centuria/tools/cent/pkg/task"
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
	cmd.Flags().StringVar(&o.Revision, "revision", "", "org.opencontainers.image.revision label (default: none, so that a commit leaves the digests of the apps it does not change as they were)")
	cmd.Flags().StringVar(&o.SourceDateEpoch, "source-date-epoch", "", "timestamp for every file, config and SBOM, in `seconds` since 1970 (default: $SOURCE_DATE_EPOCH, else 0)")
}

// options turns the flags into library options for one project; the
// environment is read here, at the edge.
func (o *imageBuildOptions) options(ctx context.Context, g *GlobalOptions, ws *workspace.Workspace, p *workspace.Project) (image.Options, error) {
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
	return image.Options{
		Dir:             ws.Root,
		Package:         "./" + p.Root,
		Name:            p.Name,
		Platforms:       platforms,
		Base:            base,
		Source:          o.Source,
		Revision:        o.Revision,
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

// imageOptions are cent image's own flags.
type imageOptions struct {
	build     imageBuildOptions
	affected  affectedOptions
	cache     cacheOptions
	All       bool
	Affected  bool
	SBOM      bool
	OCILayout string
	Tarball   string
	Push      string
	Tag       string
	GzipLevel int
	JSON      bool
	NoCache   bool
	DryRun    bool
	Parallel  int
	// Builder and BaseID are written into the image target's command by
	// the outer cent image; the build checks them (see image.BuilderID and
	// image.BaseID).
	Builder string
	BaseID  string
}

// imageResult is one built image, as printed by --json.
type imageResult struct {
	App       string   `json:"app"`
	Digest    string   `json:"digest"`
	Platforms []string `json:"platforms"`
	Pushed    string   `json:"pushed,omitempty"`
	// Cached is true when the image came from the task cache.
	Cached bool `json:"cached"`
}

func newImageCmd(g *GlobalOptions) *cobra.Command {
	o := &imageOptions{}
	cmd := &cobra.Command{
		Use:   "image [APP...]",
		Short: "Build reproducible multi-platform OCI images of apps, without a container daemon, cached like any task",
		Long: `Build an OCI image per app: the app is cross-compiled for every --platform
(CGO_ENABLED=0, -trimpath, no build ID) and its static binary layered at
` + image.BinaryPath + ` on a base image, running as user ` + image.NonRootUser + `. The same
sources, toolchain and flags give the same digest on any machine.

Choose the apps by name, with --all, or with --affected --base REF (only apps
a change affects). Each app's image is the "` + image.TargetName + `" task of the project, run
through the task runner: its key covers the app's production inputs and those
of its dependencies, the Go toolchain and go.sum lines, the flags below and the
base image's digest, and a hit restores the OCI layout dist/APP/image from the
local or remote cache byte for byte (the same digest). --no-cache builds in
this process instead (it is what the task runs).

Write the images to an OCI layout (--oci-layout DIR, one index per app named
APP:TAG), a docker-loadable tarball (--tarball FILE; the docker format holds
one platform per image, so it gets the first --platform), or a registry
(--push REPO pushes REPO/APP:TAG, with the credentials of the docker config
and its credential helpers). Without an output the images are built and their
digests printed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, args)
		},
	}
	addImageBuildFlags(cmd, &o.build, "linux/amd64,linux/arm64")
	addAffectedFlags(cmd, &o.affected)
	addCacheFlags(cmd, &o.cache)
	f := cmd.Flags()
	f.BoolVar(&o.All, "all", false, "build every app of the workspace")
	f.BoolVar(&o.Affected, "affected", false, "build the apps affected by the change since --base")
	f.BoolVar(&o.SBOM, "sbom", false, "attach an SPDX 2.3 SBOM (from the binary's build info) to each platform image")
	f.StringVar(&o.OCILayout, "oci-layout", "", "write the images into the OCI layout `dir`")
	f.StringVar(&o.Tarball, "tarball", "", "write a docker-loadable tarball `file` (first --platform only)")
	f.StringVar(&o.Push, "push", "", "push to `repo`/APP:TAG")
	f.StringVar(&o.Tag, "tag", "latest", "image tag")
	f.IntVar(&o.GzipLevel, "gzip-level", image.DefaultGzipLevel, "gzip `level` (1-9) of the binary layer; it changes the digest")
	f.BoolVar(&o.JSON, "json", false, "print the results as JSON")
	f.BoolVar(&o.NoCache, "no-cache", false, "build in this process, without the task runner and its cache")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the image tasks with their keys, commands and cache status; build nothing")
	f.IntVar(&o.Parallel, "parallel", max(1, runtime.NumCPU()/2), "images built at once (each compiles its platforms two at a time)")
	f.StringVar(&o.Builder, "builder", "", "fail unless this cent builds images the way `id` names (set by the image task)")
	f.StringVar(&o.BaseID, "base-id", "", "fail unless the base image has this `id` (set by the image task)")
	f.MarkHidden("builder")
	f.MarkHidden("base-id")
	return cmd
}

func (o *imageOptions) run(cmd *cobra.Command, g *GlobalOptions, args []string) error {
	ctx := cmd.Context()
	if !exactlyOne(len(args) > 0, o.All, o.Affected) {
		return errors.New("name the apps, or give --all or --affected (exactly one of them)")
	}
	if _, err := name.NewTag("example.com/x:"+o.Tag, name.StrictValidation); err != nil {
		return fmt.Errorf("--tag %q: not a valid tag", o.Tag)
	}
	if o.Parallel < 1 {
		return fmt.Errorf("--parallel must be at least 1, got %d", o.Parallel)
	}
	if o.GzipLevel < 1 || o.GzipLevel > 9 {
		return fmt.Errorf("--gzip-level: %w: GzipLevel %d not in 1..9", image.ErrInvalidOption, o.GzipLevel)
	}
	if o.DryRun && o.NoCache {
		return errors.New("--dry-run shows the image tasks: it does not go with --no-cache")
	}
	if o.Builder != "" && o.Builder != image.BuilderID {
		return fmt.Errorf("--builder %q: this cent builds images as %q (the task was planned by another version of cent)", o.Builder, image.BuilderID)
	}
	ws, err := g.Workspace(ctx)
	if err != nil {
		return err
	}
	apps, gr, err := o.apps(cmd, ws, args)
	if err != nil {
		return err
	}
	if len(apps) == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), "cent: no app to build")
		if o.JSON {
			return writeJSON(cmd.OutOrStdout(), []imageResult{})
		}
		return nil
	}
	var built []builtImage
	if o.NoCache {
		for _, p := range apps {
			b, err := o.buildDirect(ctx, g, ws, p)
			if err != nil {
				return fmt.Errorf("%s: %w", p.Name, err)
			}
			built = append(built, b)
		}
	} else if built, err = o.buildCached(cmd, g, ws, gr, apps); err != nil || built == nil {
		return err // built is nil after --dry-run
	}
	var results []imageResult
	tarImages := map[name.Tag]v1.Image{}
	for _, b := range built {
		res, err := o.deliver(cmd, g, b, tarImages)
		if err != nil {
			return fmt.Errorf("%s: %w", b.app, err)
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
		return writeJSON(w, results)
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

// apps returns the app projects to build and, when the selection needed
// it, the graph.
func (o *imageOptions) apps(cmd *cobra.Command, ws *workspace.Workspace, args []string) ([]*workspace.Project, *graph.Graph, error) {
	var out []*workspace.Project
	switch {
	case len(args) > 0:
		for _, a := range args {
			p, err := ws.Project(a)
			if err != nil {
				return nil, nil, err
			}
			if p.Type != workspace.TypeApp {
				return nil, nil, fmt.Errorf("project %q is a %s, not an app", a, p.Type)
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
		// An image changes exactly when the app's build does: count only the
		// build's inputs (a test-only change builds no image).
		o.affected.Target = "build"
		rep, gr, err := o.affected.run(cmd, ws)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range rep.Projects {
			if a.Type == workspace.TypeApp {
				p, err := ws.Project(a.Name)
				if err != nil {
					return nil, nil, err
				}
				out = append(out, p)
			}
		}
		return out, gr, nil
	}
	return out, nil, nil
}

// builtImage is an app's image index before delivery.
type builtImage struct {
	app       string
	idx       v1.ImageIndex
	platforms []v1.Platform
	cached    bool
}

// libraryOptions turns the flags into the library options for p.
func (o *imageOptions) libraryOptions(ctx context.Context, g *GlobalOptions, ws *workspace.Workspace, p *workspace.Project) (image.Options, error) {
	opts, err := o.build.options(ctx, g, ws, p)
	if err != nil {
		return opts, err
	}
	opts.SBOM = o.SBOM
	opts.GzipLevel = o.GzipLevel
	opts.BuildTags = o.affected.platform.Tags
	return opts, nil
}

// buildDirect builds one app in this process.
func (o *imageOptions) buildDirect(ctx context.Context, g *GlobalOptions, ws *workspace.Workspace, p *workspace.Project) (builtImage, error) {
	opts, err := o.libraryOptions(ctx, g, ws, p)
	if err != nil {
		return builtImage{}, err
	}
	if o.BaseID != "" {
		id, err := image.BaseID(ctx, opts.Base, opts.Platforms)
		if err != nil {
			return builtImage{}, err
		}
		if id != o.BaseID {
			return builtImage{}, fmt.Errorf("--base-id: the base image is now %s, not %s: it changed after the task was planned", id, o.BaseID)
		}
	}
	idx, err := image.Build(ctx, opts)
	if err != nil {
		return builtImage{}, err
	}
	return builtImage{app: p.Name, idx: idx, platforms: opts.Platforms}, nil
}

// buildCached runs the image task of every app through the task runner and
// reads each image back from the layout the task wrote or restored.
func (o *imageOptions) buildCached(cmd *cobra.Command, g *GlobalOptions, ws *workspace.Workspace, gr *graph.Graph, apps []*workspace.Project) ([]builtImage, error) {
	ctx := cmd.Context()
	if gr == nil {
		var err error
		if gr, err = graph.Build(ctx, ws, o.affected.platform.graphOptions()); err != nil {
			return nil, err
		}
	}
	// The flags are the same for every app: resolve them (and the base
	// image's id) once.
	opts, err := o.libraryOptions(ctx, g, ws, apps[0])
	if err != nil {
		return nil, err
	}
	baseID, err := image.BaseID(ctx, opts.Base, opts.Platforms)
	if err != nil {
		return nil, fmt.Errorf("--base-image: %w", err)
	}
	command, err := o.taskCommand(g, opts, baseID)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range apps {
		p, err := gr.Workspace.Project(a.Name)
		if err != nil {
			return nil, err
		}
		p.Targets[image.TargetName] = imageTarget(p, command)
		names = append(names, p.Name)
	}
	plan, err := planWithKeys(ctx, gr, task.PlanOptions{Targets: []string{image.TargetName}, Projects: names})
	if err != nil {
		return nil, err
	}
	stderr := cmd.ErrOrStderr()
	printer := task.NewPrinter(stderr, stderr, task.OutputGrouped, isTerminal(stderr))
	o.cache.AsyncUpload = true
	c, err := o.cache.open(ctx, noteWriter{printer})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if o.DryRun {
		return nil, (&runOptions{}).printPlan(ctx, cmd.OutOrStdout(), plan, c)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("locating cent for the image tasks: %w", err)
	}
	env := append(os.Environ(), envCentExe+"="+exe)
	rep := task.Run(ctx, plan, ws.Root, c, task.RunOptions{Parallel: o.Parallel, Printer: printer, Env: env})
	if ctx.Err() != nil {
		return nil, &ExitError{Code: 130, Err: errors.New("interrupted")}
	}
	if !rep.OK() {
		return nil, &ExitError{Code: 1}
	}
	status := map[string]task.Status{}
	for _, r := range rep.Tasks {
		status[r.Project] = r.Status
	}
	var out []builtImage
	for _, p := range apps {
		dir := filepath.Join(ws.Root, filepath.FromSlash(image.LayoutDir(p.Name)))
		idx, err := image.ReadLayout(dir, image.LayoutRefName(p.Name))
		if err != nil {
			return nil, fmt.Errorf("%s: the image task's output: %w", p.Name, err)
		}
		out = append(out, builtImage{app: p.Name, idx: idx, platforms: opts.Platforms, cached: status[p.Name] == task.StatusCached})
	}
	return out, nil
}

// imageInputs are the default inputs of the image target: the app's
// production files but its deploy values (CI writes the pushed digest there,
// which must not make a new image), and its dependencies' production files.
var imageInputs = []string{"production", "!{projectRoot}/deploy/**", "^production"}

// imageTarget is the image target of p: inputs, dependencies, env and
// cache setting from the project's own "image" target when it has one (in
// cent.yaml targetDefaults or project.yaml), else imageInputs; the command
// and the output are always cent image's.
func imageTarget(p *workspace.Project, command string) workspace.Target {
	t := workspace.Target{Inputs: imageInputs}
	if own, ok := p.Targets[image.TargetName]; ok {
		if own.Inputs != nil {
			t.Inputs = own.Inputs
		}
		t.DependsOn, t.Env, t.Cache = own.DependsOn, own.Env, own.Cache
	}
	t.Command = command
	t.Outputs = []string{image.LayoutDir(workspace.PlaceholderProjectName)}
	return t
}

// envCentExe names the running cent binary in the image tasks' environment.
// The command refers to it rather than to the binary's path, which would put
// the path in the key (go run builds cent in a new directory each time);
// the builder's version is in the key through --builder instead.
const envCentExe = "CENT_EXE"

// taskCommand is the shell command of the image target: a fresh OCI layout
// built by cent image --no-cache with every resolved flag spelled out, so
// that each is part of the task's key.
func (o *imageOptions) taskCommand(g *GlobalOptions, opts image.Options, baseID string) (string, error) {
	dir := image.LayoutDir(workspace.PlaceholderProjectName)
	var platforms []string
	for _, p := range opts.Platforms {
		platforms = append(platforms, p.String())
	}
	args := []string{
		"--no-cache", "--builder", image.BuilderID, "--base-id", baseID,
		"--oci-layout", dir,
		"--platform", strings.Join(platforms, ","),
		"--source-date-epoch", strconv.FormatInt(opts.SourceDateEpoch, 10),
		"--gzip-level", strconv.Itoa(opts.GzipLevel),
	}
	if o.SBOM {
		args = append(args, "--sbom")
	}
	if b := o.build.BaseImage; b != "" && b != "scratch" {
		if rest, ok := strings.CutPrefix(b, "oci:"); ok {
			abs, err := filepath.Abs(g.path(rest))
			if err != nil {
				return "", fmt.Errorf("--base-image: %w", err)
			}
			b = "oci:" + abs
		}
		args = append(args, "--base-image", b)
	}
	if o.build.CABundle != "" {
		abs, err := filepath.Abs(g.path(o.build.CABundle))
		if err != nil {
			return "", fmt.Errorf("--ca-bundle: %w", err)
		}
		args = append(args, "--ca-bundle", abs)
	}
	if opts.Source != "" {
		args = append(args, "--source", opts.Source)
	}
	if opts.Revision != "" {
		args = append(args, "--revision", opts.Revision)
	}
	if len(opts.BuildTags) > 0 {
		args = append(args, "--tags", strings.Join(opts.BuildTags, ","))
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shQuote(a)
	}
	return "rm -rf " + dir + ` && "$` + envCentExe + `" image ` + workspace.PlaceholderProjectName + " " + strings.Join(quoted, " "), nil
}

// shQuote quotes s for sh unless it is made of safe characters only (the
// {projectName} placeholder included).
func shQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,={}") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// deliver writes one image to the layout and registry; its tarball image is
// collected into tarImages.
func (o *imageOptions) deliver(cmd *cobra.Command, g *GlobalOptions, b builtImage, tarImages map[name.Tag]v1.Image) (imageResult, error) {
	d, err := b.idx.Digest()
	if err != nil {
		return imageResult{}, err
	}
	res := imageResult{App: b.app, Digest: d.String(), Cached: b.cached}
	for _, pl := range b.platforms {
		res.Platforms = append(res.Platforms, pl.String())
	}
	if o.OCILayout != "" {
		if err := image.WriteLayout(g.path(o.OCILayout), b.idx, b.app+":"+o.Tag); err != nil {
			return res, err
		}
	}
	if o.Tarball != "" {
		img, err := image.PlatformImage(b.idx, b.platforms[0])
		if err != nil {
			return res, err
		}
		tag, err := name.NewTag(b.app + ":" + o.Tag)
		if err != nil {
			return res, err
		}
		tarImages[tag] = img
		if len(b.platforms) > 1 {
			fmt.Fprintf(cmd.ErrOrStderr(), "cent: %s: the tarball holds %s only (docker tarballs are single-platform)\n", b.app, b.platforms[0])
		}
	}
	if o.Push != "" {
		ref, err := name.NewTag(strings.TrimSuffix(o.Push, "/") + "/" + b.app + ":" + o.Tag)
		if err != nil {
			return res, fmt.Errorf("--push: %w", err)
		}
		pushed, err := image.Push(cmd.Context(), ref, b.idx)
		if err != nil {
			return res, err
		}
		res.Pushed = ref.Context().Digest(pushed.String()).String()
	}
	return res, nil
}
