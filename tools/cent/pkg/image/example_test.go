package image_test

import (
	"context"
	"fmt"
	"log"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/centuria/centuria/tools/cent/pkg/image"
)

// Build an app for amd64 and arm64 with an SBOM, keep it in an OCI layout
// and push it.
func Example() {
	ctx := context.Background()
	idx, err := image.Build(ctx, image.Options{
		Dir:             ".", // the workspace root
		Package:         "./apps/orders",
		Name:            "orders",
		Revision:        "4f1c2e9",
		SourceDateEpoch: 1700000000,
		SBOM:            true,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := image.WriteLayout("dist/oci", idx, "orders:4f1c2e9"); err != nil {
		log.Fatal(err)
	}
	ref, err := name.ParseReference("registry.example.com/team/orders:4f1c2e9")
	if err != nil {
		log.Fatal(err)
	}
	digest, err := image.Push(ctx, ref, idx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ref.Context().Digest(digest.String()))
}
