package pathnorm

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	ok := map[string]string{
		"/":              "/",
		"/users/42":      "/users/42",
		"/users//42":     "/users/42",
		"///a":           "/a",
		"/a/":            "/a/",
		"/a//":           "/a/",
		"/caf%C3%A9":     "/café",
		"/a%20b":         "/a b",
		"/file%2etxt":    "/file.txt",
		"/.well-known/x": "/.well-known/x",
		"/a/...":         "/a/...",
		"/v1/items;v=2":  "/v1/items;v=2",
		"/%41dmin":       "/Admin",
	}
	for in, want := range ok {
		got, err := Canonical(in)
		if err != nil || got != want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestAttackClasses is the regression suite: one entry per known bypass class.
func TestAttackClasses(t *testing.T) {
	bad := map[string]error{
		"/%2e%2e/admin":          ErrDotSegment,
		"/api/%2E%2E/admin":      ErrDotSegment,
		"/api/.%2e/admin":        ErrDotSegment,
		"/api/../admin":          ErrDotSegment,
		"/api/./admin":           ErrDotSegment,
		"/api/..":                ErrDotSegment,
		"/api/..;/admin":         ErrDotSegment,
		"/api/..;jsessionid=1/x": ErrDotSegment,
		"/api/%2e%2e;/admin":     ErrDotSegment,
		"/api%2Fadmin":           ErrEncodedSlash,
		"/api%2fadmin":           ErrEncodedSlash,
		"/api\\..\\admin":        ErrBackslash,
		"/api%5C..%5Cadmin":      ErrBackslash,
		"/api%5cadmin":           ErrBackslash,
		"/api%00.json":           ErrNUL,
		"/api\x00":               ErrNUL,
		"/api%0d%0aX-Injected:1": ErrNUL,
		"/api%252e%252e/admin":   ErrDoubleEncoding,
		"/api%25":                ErrDoubleEncoding,
		"/api%zz":                ErrBadEscape,
		"/api%2":                 ErrBadEscape,
		"/api%c0%af":             ErrInvalidUTF8,
		"/api%c0%ae%c0%ae/":      ErrInvalidUTF8,
		"api":                    ErrNotAbsolute,
		"*":                      ErrNotAbsolute,
		"":                       ErrNotAbsolute,
	}
	for in, want := range bad {
		got, err := Canonical(in)
		if !errors.Is(err, want) || !errors.Is(err, ErrRejected) {
			t.Errorf("Canonical(%q) = %q, %v; want %v", in, got, err, want)
		}
	}
}

func TestCleanPathDoesNotAllocate(t *testing.T) {
	p := "/api/v1/users/42"
	n := testing.AllocsPerRun(100, func() {
		if _, err := Canonical(p); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("Canonical allocated %v times on a clean path", n)
	}
}

// FuzzCanonical checks the normaliser's invariants on arbitrary input: the
// output is canonical (a fixed point), has no dot segments, no backslash,
// no NUL, and re-escaping then canonicalising gives the same path.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/%2e%2e/", "/a%2fb", "/..;/", "/a//b/", "/caf%C3%A9", "/a\\b", "/%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Canonical(in)
		if err != nil {
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("error %v does not wrap ErrRejected", err)
			}
			return
		}
		if !strings.HasPrefix(out, "/") || strings.Contains(out, "//") || strings.ContainsAny(out, "\\\x00") {
			t.Fatalf("Canonical(%q) = %q is not canonical", in, out)
		}
		for _, seg := range strings.Split(out, "/") {
			name, _, _ := strings.Cut(seg, ";")
			if name == "." || name == ".." {
				t.Fatalf("Canonical(%q) = %q has a dot segment", in, out)
			}
		}
		esc := (&url.URL{Path: out}).EscapedPath()
		again, err := Canonical(esc)
		if err != nil || again != out {
			t.Fatalf("re-canonicalising %q (escaped %q) = %q, %v", out, esc, again, err)
		}
	})
}
