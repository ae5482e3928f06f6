package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Attestation manifests follow BuildKit's layout, so docker buildx
// imagetools and scanners that read BuildKit SBOMs find them.
const (
	// AnnotationReferenceType marks an index entry as an attestation.
	AnnotationReferenceType = "vnd.docker.reference.type"
	// AnnotationReferenceDigest names the image an attestation describes.
	AnnotationReferenceDigest = "vnd.docker.reference.digest"
	// AnnotationPredicateType names an in-toto layer's predicate type.
	AnnotationPredicateType = "in-toto.io/predicate-type"

	attestationManifest = "attestation-manifest"
	inTotoMediaType     = types.MediaType("application/vnd.in-toto+json")
	inTotoStatementType = "https://in-toto.io/Statement/v0.1"
	spdxPredicateType   = "https://spdx.dev/Document"
)

// inTotoStatement wraps an SPDX document as an in-toto attestation.
type inTotoStatement struct {
	Type          string          `json:"_type"`
	PredicateType string          `json:"predicateType"`
	Subject       []inTotoSubject `json:"subject"`
	Predicate     json.RawMessage `json:"predicate"`
}

type inTotoSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// sbomAddendum wraps doc as an attestation manifest whose OCI subject is
// img, with the index annotations BuildKit uses.
func sbomAddendum(o Options, p v1.Platform, img v1.Image, doc []byte) (mutate.IndexAddendum, error) {
	desc, err := imageDescriptor(img)
	if err != nil {
		return mutate.IndexAddendum{}, err
	}
	stmt, err := json.Marshal(inTotoStatement{
		Type:          inTotoStatementType,
		PredicateType: spdxPredicateType,
		Subject: []inTotoSubject{{
			Name:   "pkg:oci/" + o.Name + "?platform=" + url.QueryEscape(p.String()),
			Digest: map[string]string{desc.Digest.Algorithm: desc.Digest.Hex},
		}},
		Predicate: doc,
	})
	if err != nil {
		return mutate.IndexAddendum{}, err
	}
	att := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	att, err = mutate.Append(att, mutate.Addendum{
		Layer:       static.NewLayer(stmt, inTotoMediaType),
		Annotations: map[string]string{AnnotationPredicateType: spdxPredicateType},
	})
	if err != nil {
		return mutate.IndexAddendum{}, err
	}
	// The in-toto layer is not a filesystem layer, so the config lists no
	// diff IDs (as validate and BuildKit expect).
	att, err = mutate.ConfigFile(att, &v1.ConfigFile{OS: "unknown", Architecture: "unknown", RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{}}})
	if err != nil {
		return mutate.IndexAddendum{}, err
	}
	withSubject, ok := mutate.Subject(att, *desc).(v1.Image)
	if !ok {
		return mutate.IndexAddendum{}, fmt.Errorf("attaching SBOM: subject mutation lost the image type")
	}
	return mutate.IndexAddendum{
		Add: withSubject,
		Descriptor: v1.Descriptor{
			MediaType: types.OCIManifestSchema1,
			Platform:  &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				AnnotationReferenceType:   attestationManifest,
				AnnotationReferenceDigest: desc.Digest.String(),
			},
		},
	}, nil
}

// imageDescriptor returns the manifest descriptor of img.
func imageDescriptor(img v1.Image) (*v1.Descriptor, error) {
	mt, err := img.MediaType()
	if err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	size, err := img.Size()
	if err != nil {
		return nil, err
	}
	return &v1.Descriptor{MediaType: mt, Digest: d, Size: size}, nil
}

// ReadSBOM returns the SPDX JSON document, indented, attached to the image of idx for
// platform p, or an error wrapping ErrNoSBOM.
func ReadSBOM(idx v1.ImageIndex, p v1.Platform) ([]byte, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var imgDigest string
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Annotations[AnnotationReferenceType] == "" && platformMatches(*d.Platform, p) {
			imgDigest = d.Digest.String()
			break
		}
	}
	if imgDigest == "" {
		return nil, fmt.Errorf("%w: no image for platform %s", ErrNoSBOM, p)
	}
	for _, d := range m.Manifests {
		if d.Annotations[AnnotationReferenceType] != attestationManifest || d.Annotations[AnnotationReferenceDigest] != imgDigest {
			continue
		}
		att, err := idx.Image(d.Digest)
		if err != nil {
			return nil, err
		}
		am, err := att.Manifest()
		if err != nil {
			return nil, err
		}
		for _, l := range am.Layers {
			if l.Annotations[AnnotationPredicateType] != spdxPredicateType {
				continue
			}
			layer, err := att.LayerByDigest(l.Digest)
			if err != nil {
				return nil, err
			}
			rc, err := layer.Compressed() // stored as is: not compressed
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			var stmt inTotoStatement
			if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&stmt); err != nil {
				return nil, fmt.Errorf("decoding SBOM attestation %s: %w", l.Digest, err)
			}
			var out bytes.Buffer
			if err := json.Indent(&out, stmt.Predicate, "", "  "); err != nil {
				return nil, fmt.Errorf("decoding SBOM attestation %s: %w", l.Digest, err)
			}
			out.WriteByte('\n')
			return out.Bytes(), nil
		}
	}
	return nil, fmt.Errorf("%w for platform %s (image %s)", ErrNoSBOM, p, imgDigest)
}
