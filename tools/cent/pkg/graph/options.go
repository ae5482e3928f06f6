package graph

import (
	"errors"
	"fmt"
	"regexp"
)

// ErrInvalidOption is wrapped by Options.Validate errors.
var ErrInvalidOption = errors.New("invalid option")

// knownOS and knownArch are the go command's GOOS and GOARCH values
// (go tool dist list).
var (
	knownOS = map[string]bool{"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true,
		"illumos": true, "ios": true, "js": true, "linux": true, "netbsd": true, "openbsd": true, "plan9": true,
		"solaris": true, "wasip1": true, "windows": true}
	knownArch = map[string]bool{"386": true, "amd64": true, "arm": true, "arm64": true, "loong64": true,
		"mips": true, "mipsle": true, "mips64": true, "mips64le": true, "ppc64": true, "ppc64le": true,
		"riscv64": true, "s390x": true, "wasm": true}
	tagRe = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)
)

// Validate checks GOOS, GOARCH and build tags.
func (o Options) Validate() error {
	if o.GOOS != "" && !knownOS[o.GOOS] {
		return fmt.Errorf("%w: unknown GOOS %q", ErrInvalidOption, o.GOOS)
	}
	if o.GOARCH != "" && !knownArch[o.GOARCH] {
		return fmt.Errorf("%w: unknown GOARCH %q", ErrInvalidOption, o.GOARCH)
	}
	for _, t := range o.BuildTags {
		if !tagRe.MatchString(t) {
			return fmt.Errorf("%w: invalid build tag %q", ErrInvalidOption, t)
		}
	}
	return nil
}
