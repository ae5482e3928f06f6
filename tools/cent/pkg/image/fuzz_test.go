package image

import (
	"errors"
	"testing"
)

// FuzzParse checks the flag parsers never panic and fail only with
// ErrInvalidOption.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"linux/amd64,linux/arm64", "linux/arm/v7", "oci:dir:name", "registry.example:5000/base@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ",,", "linux//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePlatforms(s)
		if err != nil && !errors.Is(err, ErrInvalidOption) {
			t.Fatalf("ParsePlatforms(%q): %v", s, err)
		}
		for _, p := range ps {
			if _, err := goEnv(p); err != nil {
				t.Fatalf("ParsePlatforms(%q) accepted %v: %v", s, p, err)
			}
		}
		if _, err := ParseBase(s, testCA, 0); err != nil && !errors.Is(err, ErrInvalidOption) {
			t.Fatalf("ParseBase(%q): %v", s, err)
		}
	})
}

// FuzzSBOMFromBinary checks arbitrary bytes give an error or a document,
// never a panic.
func FuzzSBOMFromBinary(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add([]byte("\xff Go buildinf:\x08\x02"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := SBOMFromBinary(b, SBOMInfo{Name: "fuzz"})
		if err == nil && len(doc) == 0 {
			t.Fatal("no error and no document")
		}
	})
}
