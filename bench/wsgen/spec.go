package wsgen

import (
	"fmt"
	"regexp"
	"sort"
)

// Spec describes a synthetic workspace. The zero value of every field but
// Apps and Libs means the documented default.
type Spec struct {
	// Apps is the number of applications under apps/.
	Apps int `json:"apps"`
	// Libs is the number of libraries under libs/<scope>/.
	Libs int `json:"libs"`
	// Scopes are the business scopes libraries are spread over; default
	// DefaultScopes. The scope "shared" always exists and holds the root
	// utility libraries.
	Scopes []string `json:"scopes,omitempty"`
	// Seed makes generation deterministic: equal specs give byte-identical
	// workspaces. Zero is a valid seed.
	Seed uint64 `json:"seed"`
	// Module is the root module path; default DefaultModule.
	Module string `json:"module,omitempty"`
	// GoVersion is the go directive of every generated go.mod; default
	// DefaultGoVersion.
	GoVersion string `json:"goVersion,omitempty"`
}

// Defaults of Spec fields.
const (
	DefaultModule    = "example.com/synth"
	DefaultGoVersion = "1.24"
)

// DefaultScopes are the business scopes used when Spec.Scopes is empty.
var DefaultScopes = []string{"billing", "catalog", "identity", "orders", "payments", "search", "shipping", "support"}

// presets are the named sizes; see Preset.
var presets = map[string]Spec{
	"tiny":   {Apps: 3, Libs: 16},
	"small":  {Apps: 100, Libs: 300},
	"medium": {Apps: 500, Libs: 1500},
	"large":  {Apps: 1000, Libs: 3000},
}

// Preset returns the named spec: tiny (3 apps/16 libs), small (100/300),
// medium (500/1,500) or large (1,000/3,000), with seed 1. It returns
// ErrUnknownPreset for any other name.
func Preset(name string) (Spec, error) {
	s, ok := presets[name]
	if !ok {
		return Spec{}, fmt.Errorf("preset %q (have %v): %w", name, PresetNames(), ErrUnknownPreset)
	}
	s.Seed = 1
	return s, nil
}

// PresetNames lists the preset names in sorted order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var (
	scopeRE   = regexp.MustCompile(`^[a-z][a-z0-9]{0,30}$`)
	moduleRE  = regexp.MustCompile(`^[a-z0-9.-]+(/[a-z0-9._-]+)*$`)
	goVerRE   = regexp.MustCompile(`^1\.[0-9]+(\.[0-9]+)?$`)
	maxApps   = 20000
	maxLibs   = 60000
	minLibs   = 4
	libsTypes = 4
)

// withDefaults returns s with defaults applied.
func (s Spec) withDefaults() Spec {
	if len(s.Scopes) == 0 {
		s.Scopes = DefaultScopes
	}
	if s.Module == "" {
		s.Module = DefaultModule
	}
	if s.GoVersion == "" {
		s.GoVersion = DefaultGoVersion
	}
	return s
}

// Validate reports the first problem of s (after defaults) as an error
// wrapping ErrInvalidSpec.
func (s Spec) Validate() error {
	s = s.withDefaults()
	switch {
	case s.Apps < 0 || s.Apps > maxApps:
		return fmt.Errorf("apps: %d not in [0, %d]: %w", s.Apps, maxApps, ErrInvalidSpec)
	case s.Libs < minLibs || s.Libs > maxLibs:
		return fmt.Errorf("libs: %d not in [%d, %d] (one per library type at least): %w", s.Libs, minLibs, maxLibs, ErrInvalidSpec)
	case !moduleRE.MatchString(s.Module):
		return fmt.Errorf("module: %q is not a lower-case module path: %w", s.Module, ErrInvalidSpec)
	case !goVerRE.MatchString(s.GoVersion):
		return fmt.Errorf("goVersion: %q is not a Go version such as 1.24: %w", s.GoVersion, ErrInvalidSpec)
	}
	seen := map[string]bool{"shared": true}
	for i, sc := range s.Scopes {
		if !scopeRE.MatchString(sc) {
			return fmt.Errorf("scopes[%d]: %q must match %s: %w", i, sc, scopeRE, ErrInvalidSpec)
		}
		if seen[sc] {
			return fmt.Errorf("scopes[%d]: %q repeated or reserved: %w", i, sc, ErrInvalidSpec)
		}
		seen[sc] = true
	}
	return nil
}
