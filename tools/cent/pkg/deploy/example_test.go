package deploy_test

import (
	"fmt"
	"strings"

	"github.com/centuria/centuria/tools/cent/pkg/deploy"
)

// CI's image job pins the pushed image in the app's values: one line changes.
func ExampleSetImageDigest() {
	values := "image:\n  repository: registry.example.com/centuria/orders\n  digest: \"\" # written by CI\n"
	out, err := deploy.SetImageDigest([]byte(values), "apps/orders/deploy/values.yaml", "sha256:"+strings.Repeat("ab", 32))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// image:
	//   repository: registry.example.com/centuria/orders
	//   digest: sha256:abababababababababababababababababababababababababababababababab # written by CI
}

// An ApplicationSet the preview cannot evaluate faithfully is refused with the reason.
func ExampleParseApplicationSet() {
	_, err := deploy.ParseApplicationSet([]byte("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  generators: []\n"), "appset.yaml")
	fmt.Println(err)
	// Output:
	// not supported by the offline preview: appset.yaml: spec.goTemplate must be true (fasttemplate rendering is not previewed)
}
