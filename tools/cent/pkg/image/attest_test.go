package image

import (
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestReadSBOMCorrupt checks a damaged attestation is an error naming the
// layer, and an index without attestations is ErrNoSBOM.
func TestReadSBOMCorrupt(t *testing.T) {
	t.Parallel()
	img, err := Scratch(testCA, 0).Image(t.Context(), hostPlatform)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := imageDescriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	plain := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{
		Add: img, Descriptor: v1.Descriptor{MediaType: types.OCIManifestSchema1, Platform: &hostPlatform},
	})
	if _, err := ReadSBOM(plain, hostPlatform); !errors.Is(err, ErrNoSBOM) {
		t.Fatalf("no attestation: %v, want ErrNoSBOM", err)
	}
	att, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer:       static.NewLayer([]byte(`{"predicate": {truncated`), inTotoMediaType),
		Annotations: map[string]string{AnnotationPredicateType: spdxPredicateType},
	})
	if err != nil {
		t.Fatal(err)
	}
	damaged := mutate.AppendManifests(plain, mutate.IndexAddendum{Add: att, Descriptor: v1.Descriptor{
		MediaType: types.OCIManifestSchema1,
		Annotations: map[string]string{
			AnnotationReferenceType: attestationManifest, AnnotationReferenceDigest: desc.Digest.String(),
		},
	}})
	if _, err := ReadSBOM(damaged, hostPlatform); err == nil || !strings.Contains(err.Error(), "decoding SBOM attestation sha256:") {
		t.Fatalf("damaged attestation: %v", err)
	}
}
