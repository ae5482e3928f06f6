package deploy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
)

func TestSetImageDigest(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"replace empty quoted", "image:\n  repository: r/x\n  digest: \"\" # set by CI\n  tag: main\n",
			"image:\n  repository: r/x\n  digest: " + digestB + " # set by CI\n  tag: main\n"},
		{"replace plain", "image:\n    repository: r/x\n    digest: " + digestA + "\nmesh: none\n",
			"image:\n    repository: r/x\n    digest: " + digestB + "\nmesh: none\n"},
		{"replace single quoted", "image:\n  digest: ''\n  repository: r\n", "image:\n  digest: " + digestB + "\n  repository: r\n"},
		{"flow mapping", "image: {repository: r, digest: " + digestA + "}\n", "image: {repository: r, digest: " + digestB + "}\n"},
		{"flow mapping quoted", "image: {digest: \"\", repository: r}\n", "image: {digest: " + digestB + ", repository: r}\n"},
		{"empty value", "image:\n  digest:\n  repository: r\n", "image:\n  digest: " + digestB + "\n  repository: r\n"},
		{"empty value with comment", "image:\n  digest:   # CI\n", "image:\n  digest: " + digestB + " # CI\n"},
		{"insert", "# comment\nimage:\n  repository: r/x # the repo\nargs: [a]\n",
			"# comment\nimage:\n  digest: " + digestB + "\n  repository: r/x # the repo\nargs: [a]\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SetImageDigest([]byte(tc.in), "v.yaml", digestB)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	bad := []struct{ name, in, digest string }{
		{"bad digest", "image: {repository: r}\n", "sha256:123"},
		{"no image", "mesh: none\n", digestB},
		{"flow image without digest", "image: {repository: r}\n", digestB},
		{"digest not on its line", "image:\n  digest:\n    x\n", digestB},
		{"not a mapping", "- a\n", digestB},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SetImageDigest([]byte(tc.in), "v.yaml", tc.digest); !errors.Is(err, ErrValues) {
				t.Errorf("error %v, want ErrValues", err)
			}
		})
	}
}

// TestSetAppImageDigestOnGatewayValues edits a copy of the gateway's real
// values: one line changes and the app then deploys by digest.
func TestSetAppImageDigestOnGatewayValues(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(repoRoot(t), "apps", "gateway", "deploy", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	root := tempWorkspace(t, map[string]string{"gateway": string(orig)})
	file, err := SetAppImageDigest(context.Background(), root, "", "gateway", digestA)
	if err != nil {
		t.Fatal(err)
	}
	if file != "apps/gateway/deploy/values.yaml" {
		t.Errorf("file %q", file)
	}
	got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	before, after := strings.Split(string(orig), "\n"), strings.Split(string(got), "\n")
	changed := 0
	for i := range before {
		if i >= len(after) || before[i] != after[i] {
			changed++
		}
	}
	if len(before) != len(after) || changed != 1 {
		t.Errorf("%d lines changed (lengths %d, %d), want exactly the digest line", changed, len(before), len(after))
	}
	res, err := Preview(context.Background(), root, Options{Apps: []string{"gateway"}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	found := false
	for _, m := range res[0].Manifests {
		if m.Kind == "Deployment" && strings.Contains(m.Content, "@"+digestA) {
			found = true
		}
	}
	if !found {
		t.Error("the Deployment does not use the new digest")
	}
	if _, err := SetAppImageDigest(context.Background(), root, "", "nope", digestA); !errors.Is(err, ErrUnknownApp) {
		t.Errorf("unknown app: %v", err)
	}
}
