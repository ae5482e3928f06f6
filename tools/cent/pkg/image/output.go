package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// AnnotationRefName names an index in an OCI layout's index.json.
const AnnotationRefName = "org.opencontainers.image.ref.name"

// WriteLayout adds idx to the OCI layout directory dir (created when
// missing) under the ref name refName, replacing an index already stored
// under that name.
func WriteLayout(dir string, idx v1.ImageIndex, refName string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("creating OCI layout %s: %w", dir, err)
		}
	}
	ann := map[string]string{AnnotationRefName: refName}
	if err := p.ReplaceIndex(idx, match.Annotation(AnnotationRefName, refName), layout.WithAnnotations(ann)); err != nil {
		return fmt.Errorf("writing OCI layout %s: %w", dir, err)
	}
	return nil
}

// PlatformImage returns the image of idx for platform p.
func PlatformImage(idx v1.ImageIndex, p v1.Platform) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Annotations[AnnotationReferenceType] == "" && platformMatches(*d.Platform, p) {
			return idx.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("%w: no image for platform %s in the index", ErrInvalidOption, p)
}

// WriteTarball writes a docker-loadable tarball (docker load, podman load)
// holding one image per tag. The docker tarball format holds a single
// platform per image: pick it with PlatformImage. The file is written
// atomically.
func WriteTarball(file string, images map[name.Tag]v1.Image) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tarball-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	refs := make(map[name.Reference]v1.Image, len(images))
	for t, img := range images {
		refs[t] = img
	}
	if err := tarball.MultiRefWrite(refs, tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing tarball %s: %w", file, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// Push uploads idx to ref (a tag or digest) and returns the pushed digest.
// Credentials come from authn.DefaultKeychain (docker config, credential
// helpers) unless opts say otherwise; without a deadline on ctx the push
// times out after 10 minutes.
func Push(ctx context.Context, ref name.Reference, idx v1.ImageIndex, opts ...remote.Option) (v1.Hash, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
	}
	all := append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	if err := remote.WriteIndex(ref, idx, all...); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	return idx.Digest()
}
