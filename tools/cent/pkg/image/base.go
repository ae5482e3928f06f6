package image

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Base supplies the image an app's binary is layered on.
type Base interface {
	// Image returns the base image for platform p, or an error wrapping
	// ErrBase.
	Image(ctx context.Context, p v1.Platform) (v1.Image, error)
}

var (
	_ Base = (*scratchBase)(nil)
	_ Base = (*remoteBase)(nil)
	_ Base = (*layoutBase)(nil)
)

// CABundlePath is where the scratch base puts the CA certificates.
const CABundlePath = "/etc/ssl/certs/ca-certificates.crt"

// caBundlePaths are the usual homes of the machine's CA bundle (Debian,
// Fedora, Alpine, openSUSE).
var caBundlePaths = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/cert.pem",
	"/etc/ssl/ca-bundle.pem",
}

// SystemCABundle reads the machine's PEM CA bundle from its usual places.
func SystemCABundle() ([]byte, error) {
	for _, p := range caBundlePaths {
		b, err := os.ReadFile(p)
		if err == nil && len(b) > 0 {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: no CA bundle found (looked in %s)", ErrBase, strings.Join(caBundlePaths, ", "))
}

// Scratch returns the minimal base built in process: one layer holding the
// CA bundle caPEM, /etc/passwd and /etc/group with root and nonroot (65532),
// /etc/nsswitch.conf, /home/nonroot and /tmp (mode 1777), with every
// timestamp at SourceDateEpoch. It is the same for every platform.
func Scratch(caPEM []byte, sourceDateEpoch int64) Base {
	return &scratchBase{ca: caPEM, epoch: sourceDateEpoch}
}

type scratchBase struct {
	ca    []byte
	epoch int64
}

const passwd = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
const group = "root:x:0:\nnonroot:x:65532:\n"

// Image implements Base.
func (s *scratchBase) Image(_ context.Context, p v1.Platform) (v1.Image, error) {
	if len(s.ca) == 0 {
		return nil, fmt.Errorf("%w: scratch base: empty CA bundle", ErrBase)
	}
	t := time.Unix(s.epoch, 0).UTC()
	tarData, err := tarLayer([]entry{
		{Name: "etc", Mode: fs.ModeDir | 0o755},
		{Name: "etc/group", Mode: 0o644, Data: []byte(group)},
		{Name: "etc/nsswitch.conf", Mode: 0o644, Data: []byte("hosts: files dns\n")},
		{Name: "etc/passwd", Mode: 0o644, Data: []byte(passwd)},
		{Name: "etc/ssl", Mode: fs.ModeDir | 0o755},
		{Name: "etc/ssl/certs", Mode: fs.ModeDir | 0o755},
		{Name: strings.TrimPrefix(CABundlePath, "/"), Mode: 0o644, Data: s.ca},
		{Name: "home", Mode: fs.ModeDir | 0o755},
		{Name: "home/nonroot", Mode: fs.ModeDir | 0o700, Owner: nonRootID},
		{Name: "root", Mode: fs.ModeDir | 0o700},
		{Name: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
	}, t)
	if err != nil {
		return nil, err
	}
	layer, err := newLayer(tarData, types.OCILayer, DefaultGzipLevel)
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: t}, CreatedBy: "cent image: scratch base (CA certificates, nonroot user 65532, /tmp)"},
	})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.Created = v1.Time{Time: t}
	cfg.Config.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"SSL_CERT_FILE=" + CABundlePath,
	}
	cfg.Config.User = NonRootUser
	cfg.Config.WorkingDir = "/home/nonroot"
	return mutate.ConfigFile(img, cfg)
}

// ParseBase interprets a base image reference:
//
//	""  or "scratch"          the in-process scratch base (Scratch)
//	oci:DIR                   the only image or index in the OCI layout DIR
//	oci:DIR:NAME              the one whose org.opencontainers.image.ref.name is NAME
//	anything else             a registry reference (tag or digest), pulled with
//	                          the default keychain's credentials
//
// caPEM and sourceDateEpoch are used by the scratch base only.
func ParseBase(s string, caPEM []byte, sourceDateEpoch int64, opts ...remote.Option) (Base, error) {
	switch {
	case s == "" || s == "scratch":
		return Scratch(caPEM, sourceDateEpoch), nil
	case strings.HasPrefix(s, "oci:"):
		rest := strings.TrimPrefix(s, "oci:")
		dir, ref, _ := strings.Cut(rest, ":")
		if dir == "" {
			return nil, fmt.Errorf("%w: base %q: want oci:DIR or oci:DIR:NAME", ErrInvalidOption, s)
		}
		return Layout(dir, ref), nil
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("%w: base %q: %v", ErrInvalidOption, s, err)
	}
	return Remote(ref, opts...), nil
}

// Remote returns a base pulled from a registry. Without options it
// authenticates with authn.DefaultKeychain.
func Remote(ref name.Reference, opts ...remote.Option) Base {
	if len(opts) == 0 {
		opts = []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	}
	return &remoteBase{ref: ref, opts: opts}
}

type remoteBase struct {
	ref  name.Reference
	opts []remote.Option
}

// Image implements Base.
func (r *remoteBase) Image(ctx context.Context, p v1.Platform) (v1.Image, error) {
	opts := append([]remote.Option{remote.WithContext(ctx), remote.WithPlatform(p)}, r.opts...)
	desc, err := remote.Get(r.ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBase, r.ref, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrBase, r.ref, err)
		}
		return imageForPlatform(idx, p, r.ref.String())
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBase, r.ref, err)
	}
	return checkPlatform(img, p, r.ref.String())
}

// Layout returns a base read from the OCI layout directory dir: the
// manifest annotated with org.opencontainers.image.ref.name refName, or,
// when refName is empty, the layout's only manifest.
func Layout(dir, refName string) Base { return &layoutBase{dir: dir, ref: refName} }

type layoutBase struct{ dir, ref string }

// Image implements Base.
func (l *layoutBase) Image(_ context.Context, p v1.Platform) (v1.Image, error) {
	where := "oci:" + l.dir
	idx, err := layout.ImageIndexFromPath(l.dir)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBase, where, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBase, where, err)
	}
	var picked []v1.Descriptor
	for _, d := range m.Manifests {
		if l.ref == "" || d.Annotations["org.opencontainers.image.ref.name"] == l.ref {
			picked = append(picked, d)
		}
	}
	if len(picked) != 1 {
		return nil, fmt.Errorf("%w %s: %d manifests match name %q, want exactly one", ErrBase, where, len(picked), l.ref)
	}
	d := picked[0]
	if d.MediaType.IsIndex() {
		child, err := idx.ImageIndex(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrBase, where, err)
		}
		return imageForPlatform(child, p, where)
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBase, where, err)
	}
	return checkPlatform(img, p, where)
}

// imageForPlatform picks the manifest of idx for platform p.
func imageForPlatform(idx v1.ImageIndex, p v1.Platform, where string) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBase, where, err)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.MediaType.IsImage() && platformMatches(*d.Platform, p) {
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("%w %s: %v", ErrBase, where, err)
			}
			return img, nil
		}
	}
	return nil, fmt.Errorf("%w %s: no manifest for platform %s", ErrBase, where, p)
}

// checkPlatform fails unless a single-platform image img is for p.
func checkPlatform(img v1.Image, p v1.Platform, where string) (v1.Image, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrBase, where, err)
	}
	got := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if !platformMatches(got, p) {
		return nil, fmt.Errorf("%w %s: image is for %s, not %s", ErrBase, where, got, p)
	}
	return img, nil
}

// platformMatches compares OS and architecture, and the variant when the
// wanted platform names one.
func platformMatches(got, want v1.Platform) bool {
	return got.OS == want.OS && got.Architecture == want.Architecture && (want.Variant == "" || got.Variant == want.Variant)
}
