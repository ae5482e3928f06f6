package image

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BinaryPath is where the app's binary lives in every image; it is the
// entrypoint. The root Dockerfile uses the same path.
const BinaryPath = "/app/service"

// NonRootUser is the numeric user and group images run as, like
// distroless's nonroot user.
const NonRootUser = "65532:65532"

// The standard OCI image labels set on every image.
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelRevision = "org.opencontainers.image.revision"
	LabelTitle    = "org.opencontainers.image.title"
	LabelCreated  = "org.opencontainers.image.created"
)

// DefaultPlatforms are the platforms built when Options.Platforms is empty.
var DefaultPlatforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64"},
}

// Options say what Build builds. The zero value of every optional field is
// its documented default.
type Options struct {
	// Dir is the directory the go command runs in, normally the workspace
	// (module) root. Required.
	Dir string
	// Package is the main package to compile, relative to Dir ("./apps/orders")
	// or an import path. Required.
	Package string
	// Name is the app's name: the title label and the name in the SBOM.
	// Required; letters, digits, '.', '_' and '-'.
	Name string
	// Platforms to build (default DefaultPlatforms). Only linux platforms are
	// supported; arm variants v6 and v7 set GOARM, amd64 variants v1-v4 set
	// GOAMD64.
	Platforms []v1.Platform
	// Base is the image the binary is layered on (default: Scratch with the
	// machine's CA bundle, see SystemCABundle).
	Base Base
	// Source and Revision fill the org.opencontainers.image.source and
	// .revision labels when not empty.
	Source, Revision string
	// Labels are extra config labels; they override base image labels and
	// are overridden by the standard labels above.
	Labels map[string]string
	// SourceDateEpoch, in seconds since 1970, is the time written in every
	// tar header, config and SBOM (default 0: 1970-01-01).
	SourceDateEpoch int64
	// SBOM attaches an SPDX 2.3 SBOM per platform image.
	SBOM bool
	// Env is the go command's environment (default: the process's). Build
	// always sets CGO_ENABLED=0, GOOS, GOARCH and, for variants, GOARM or
	// GOAMD64 on top of it.
	Env []string
	// GoCommand is the go binary (default "go").
	GoCommand string
	// BuildTags and LDFlags are added to the go build command; -buildid= is
	// always part of the linker flags.
	BuildTags []string
	LDFlags   []string
	// GzipLevel compresses the binary layer, from 1 (gzip.BestSpeed) to 9
	// (gzip.BestCompression); default DefaultGzipLevel. It changes the digest.
	GzipLevel int
	// Jobs bounds the platforms compiled at once (default 2).
	Jobs int
	// Timeout bounds the compilation when ctx has no deadline (default 30m).
	Timeout time.Duration
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// withDefaults returns a copy of o with defaults applied, or an error
// wrapping ErrInvalidOption.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, fmt.Errorf("%w: Dir is required", ErrInvalidOption)
	}
	if o.Package == "" {
		return o, fmt.Errorf("%w: Package is required", ErrInvalidOption)
	}
	if !nameRE.MatchString(o.Name) {
		return o, fmt.Errorf("%w: Name %q: want letters, digits, '.', '_' or '-'", ErrInvalidOption, o.Name)
	}
	if o.SourceDateEpoch < 0 {
		return o, fmt.Errorf("%w: SourceDateEpoch %d is negative", ErrInvalidOption, o.SourceDateEpoch)
	}
	if len(o.Platforms) == 0 {
		o.Platforms = DefaultPlatforms
	}
	seen := map[string]bool{}
	for _, p := range o.Platforms {
		if _, err := goEnv(p); err != nil {
			return o, err
		}
		if seen[p.String()] {
			return o, fmt.Errorf("%w: platform %s listed twice", ErrInvalidOption, p)
		}
		seen[p.String()] = true
	}
	switch {
	case o.GzipLevel == 0:
		o.GzipLevel = DefaultGzipLevel
	case o.GzipLevel < 1 || o.GzipLevel > 9:
		return o, fmt.Errorf("%w: GzipLevel %d not in 1..9", ErrInvalidOption, o.GzipLevel)
	}
	if o.GoCommand == "" {
		o.GoCommand = "go"
	}
	if o.Jobs <= 0 {
		o.Jobs = 2
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	return o, nil
}

// ParsePlatforms parses a comma-separated list such as
// "linux/amd64,linux/arm64,linux/arm/v7".
func ParsePlatforms(s string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := v1.ParsePlatform(f)
		if err != nil {
			return nil, fmt.Errorf("%w: platform %q: %v", ErrInvalidOption, f, err)
		}
		if _, err := goEnv(*p); err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no platform in %q", ErrInvalidOption, s)
	}
	return out, nil
}

var goArches = []string{"386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64", "ppc64le", "riscv64", "s390x"}

// goEnv returns the go command environment selecting platform p.
func goEnv(p v1.Platform) ([]string, error) {
	if p.OS != "linux" {
		return nil, fmt.Errorf("%w: platform %s: only linux images are supported", ErrInvalidOption, p)
	}
	if !slices.Contains(goArches, p.Architecture) {
		return nil, fmt.Errorf("%w: platform %s: unknown architecture %q", ErrInvalidOption, p, p.Architecture)
	}
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + p.Architecture}
	switch {
	case p.Variant == "":
	case p.Architecture == "arm" && (p.Variant == "v6" || p.Variant == "v7"):
		env = append(env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	case p.Architecture == "arm64" && p.Variant == "v8":
	case p.Architecture == "amd64" && slices.Contains([]string{"v1", "v2", "v3", "v4"}, p.Variant):
		env = append(env, "GOAMD64="+p.Variant)
	default:
		return nil, fmt.Errorf("%w: platform %s: unsupported variant %q", ErrInvalidOption, p, p.Variant)
	}
	return env, nil
}
