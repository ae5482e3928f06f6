package image

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// Build compiles the app for every platform of o and returns an OCI image
// index with one image per platform (in the order of o.Platforms) followed,
// when o.SBOM is set, by one SBOM manifest per image. Errors wrap
// ErrInvalidOption, ErrCompile or ErrBase.
//
// A registry base's layers are read lazily, when the result is written,
// with ctx: it must stay live until then. o.Timeout bounds the compilation
// only.
func Build(ctx context.Context, o Options) (v1.ImageIndex, error) {
	baseCtx := ctx
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	if o.Base == nil {
		ca, err := SystemCABundle()
		if err != nil {
			return nil, err
		}
		o.Base = Scratch(ca, o.SourceDateEpoch)
	}
	tmp, err := os.MkdirTemp("", "cent-image-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	images := make([]v1.Image, len(o.Platforms))
	sboms := make([][]byte, len(o.Platforms))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Jobs)
	for i, p := range o.Platforms {
		g.Go(func() error {
			img, sbom, err := buildPlatform(gctx, baseCtx, o, p, tmp)
			images[i], sboms[i] = img, sbom
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for i, p := range o.Platforms {
		adds = append(adds, mutate.IndexAddendum{
			Add:        images[i],
			Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}},
		})
	}
	if o.SBOM {
		for i, p := range o.Platforms {
			add, err := sbomAddendum(o, p, images[i], sboms[i])
			if err != nil {
				return nil, err
			}
			adds = append(adds, add)
		}
	}
	return mutate.AppendManifests(idx, adds...), nil
}

// buildPlatform compiles and assembles the image for one platform, and
// returns the SBOM document too when o.SBOM is set.
func buildPlatform(ctx, baseCtx context.Context, o Options, p v1.Platform, tmp string) (v1.Image, []byte, error) {
	bin, err := compile(ctx, o, p, tmp)
	if err != nil {
		return nil, nil, err
	}
	base, err := o.Base.Image(baseCtx, p)
	if err != nil {
		return nil, nil, err
	}
	img, err := layerBinary(base, o, bin)
	if err != nil {
		return nil, nil, fmt.Errorf("assembling image for %s: %w", p, err)
	}
	if !o.SBOM {
		return img, nil, nil
	}
	doc, err := SBOMFromBinary(bin, SBOMInfo{Name: o.Name, Created: time.Unix(o.SourceDateEpoch, 0).UTC()})
	if err != nil {
		return nil, nil, fmt.Errorf("SBOM for %s: %w", p, err)
	}
	return img, doc, nil
}

// layerBinary appends the binary layer to base and sets the run
// configuration and labels.
func layerBinary(base v1.Image, o Options, bin []byte) (v1.Image, error) {
	t := time.Unix(o.SourceDateEpoch, 0).UTC()
	dir := strings.TrimPrefix(BinaryPath[:strings.LastIndex(BinaryPath, "/")], "/")
	tarData, err := tarLayer([]entry{
		{Name: dir, Mode: fs.ModeDir | 0o755},
		{Name: strings.TrimPrefix(BinaryPath, "/"), Mode: 0o755, Data: bin},
	}, t)
	if err != nil {
		return nil, err
	}
	mt, err := base.MediaType()
	if err != nil {
		return nil, err
	}
	layerType := types.OCILayer
	if mt == types.DockerManifestSchema2 {
		layerType = types.DockerLayer
	}
	layer, err := newLayer(tarData, layerType, o.GzipLevel)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: layerType,
		History:   v1.History{Created: v1.Time{Time: t}, CreatedBy: "cent image: go build -trimpath " + o.Package, Comment: o.Name},
	})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: t}
	cfg.Config.User = NonRootUser
	cfg.Config.Entrypoint = []string{BinaryPath}
	cfg.Config.Cmd = nil
	cfg.Config.WorkingDir = "/app"
	labels := map[string]string{}
	maps.Copy(labels, cfg.Config.Labels)
	maps.Copy(labels, o.Labels)
	labels[LabelTitle] = o.Name
	labels[LabelCreated] = t.Format(time.RFC3339)
	if o.Source != "" {
		labels[LabelSource] = o.Source
	}
	if o.Revision != "" {
		labels[LabelRevision] = o.Revision
	}
	cfg.Config.Labels = labels
	return mutate.ConfigFile(img, cfg)
}
