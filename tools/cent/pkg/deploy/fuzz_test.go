package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// FuzzParseApplicationSet: any input either parses into a usable set or
// fails with ErrApplicationSet or ErrUnsupported, never a panic.
func FuzzParseApplicationSet(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", filepath.FromSlash(ApplicationSetFile))); err == nil {
		f.Add(data)
	}
	f.Add([]byte("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec: {goTemplate: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := ParseApplicationSet(data, "fuzz.yaml")
		if err != nil {
			if !errors.Is(err, ErrApplicationSet) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if len(set.Generators) == 0 || len(set.Template) == 0 {
			t.Fatalf("accepted a set without generators or template: %+v", set)
		}
		// The template must render (or fail cleanly) for a parameter set.
		r := newRenderer(set.GoTemplateOptions)
		if _, err := r.render(set.Template, map[string]any{"path": map[string]any{"segments": []any{"apps", "x"}}}, ""); err != nil && !errors.Is(err, ErrTemplate) {
			t.Fatalf("render: %v", err)
		}
	})
}

// FuzzValues: a values document is either valid for the service chart or
// rejected with *ValuesError values, never a panic; generator files decode
// the same way.
func FuzzValues(f *testing.F) {
	schema, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "deploy", "charts", "service", "values.schema.json"))
	if err != nil {
		f.Fatal(err)
	}
	v, err := newSchemaValidator(schema)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("image: {repository: r/x, digest: sha256:" + "0000000000000000000000000000000000000000000000000000000000000000}\n"))
	f.Add([]byte("image:\n  digests: x\nsecretEnv: [{name: A}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := fileObjects("v.yaml", data); err != nil {
			var ve *ValuesError
			if !errors.As(err, &ve) {
				t.Fatalf("generator file error is not a *ValuesError: %v", err)
			}
		}
		src, err := parseValues("v.yaml", data)
		if err != nil {
			var ve *ValuesError
			if !errors.As(err, &ve) {
				t.Fatalf("parse error is not a *ValuesError: %v", err)
			}
			return
		}
		if err := v.validate(src.vals, []*valuesSource{src}); err != nil && !errors.Is(err, ErrValues) {
			t.Fatalf("validation error does not match ErrValues: %v", err)
		}
	})
}

// FuzzSetImageDigest: editing a values document either fails with ErrValues
// or yields a document whose image.digest is the new digest and whose other
// values are unchanged.
func FuzzSetImageDigest(f *testing.F) {
	f.Add([]byte("image:\n  repository: r\n  digest: \"\" # ci\n"))
	f.Add([]byte("image: {repository: r, digest: ''}\nmesh: none\n"))
	f.Add([]byte("image:\n  repository: r\nargs: [a]\n"))
	digest := "sha256:" + strings.Repeat("c", 64)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := SetImageDigest(data, "v.yaml", digest)
		if err != nil {
			if !errors.Is(err, ErrValues) {
				t.Fatalf("error %v does not match ErrValues", err)
			}
			return
		}
		var before, after map[string]any
		if err := yaml.Unmarshal(data, &before); err != nil {
			t.Skip() // accepted by the node parser but not as a plain mapping (e.g. anchors)
		}
		if err := yaml.Unmarshal(out, &after); err != nil {
			t.Fatalf("edited document does not parse: %v\n%s", err, out)
		}
		img, _ := after["image"].(map[string]any)
		if img == nil || img["digest"] != digest {
			t.Fatalf("image.digest not set:\n%s", out)
		}
		if bi, ok := before["image"].(map[string]any); ok {
			bi["digest"] = digest
		}
		if !reflect.DeepEqual(before, after) {
			t.Fatalf("other values changed:\nbefore %v\nafter  %v\n%s", before, after, out)
		}
	})
}
