package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
