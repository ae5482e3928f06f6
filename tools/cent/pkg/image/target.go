package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TargetName is the task target that builds an app's image into an OCI
// layout, so that image builds are planned, keyed and cached like any
// other task.
const TargetName = "image"

// BuilderID names the way this version of cent assembles images (base
// layout, layer format, labels). It is part of the image target's command,
// hence of its cache key: a change to the assembly bumps it, and no image
// cached by an older builder is restored.
const BuilderID = "1"

// LayoutDir returns the workspace-relative OCI layout directory the image
// target of app writes: dist/<app>/image, next to the build target's binary.
func LayoutDir(app string) string { return path.Join("dist", app, "image") }

// LayoutRefName is the ref name of the index the image target stores in
// its layout.
func LayoutRefName(app string) string { return app + ":latest" }

// BaseID identifies base's content for the given platforms: a SHA-256 over
// each platform's base image digest. The image target carries it in its
// command, so a base that changes (a new CA bundle on the machine, a tag
// moved in the registry, a rewritten OCI layout) changes the cache key.
// Errors wrap ErrBase.
func BaseID(ctx context.Context, base Base, platforms []v1.Platform) (string, error) {
	if len(platforms) == 0 {
		platforms = DefaultPlatforms
	}
	var b strings.Builder
	for _, p := range platforms {
		img, err := base.Image(ctx, p)
		if err != nil {
			return "", err
		}
		d, err := img.Digest()
		if err != nil {
			return "", fmt.Errorf("%w: digest for %s: %v", ErrBase, p, err)
		}
		fmt.Fprintf(&b, "%s %s\n", p, d)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// ReadLayout returns the image index stored under refName in the OCI
// layout directory dir, such as the one the image target writes.
func ReadLayout(dir, refName string) (v1.ImageIndex, error) {
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	m, err := root.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	for _, d := range m.Manifests {
		if d.Annotations[AnnotationRefName] == refName && d.MediaType.IsIndex() {
			return root.ImageIndex(d.Digest)
		}
	}
	return nil, fmt.Errorf("OCI layout %s: no index named %q", dir, refName)
}
