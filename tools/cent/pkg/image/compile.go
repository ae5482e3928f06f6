package image

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// compile builds o.Package for platform p into a fresh file in tmp and
// returns the binary's content. The build is reproducible: -trimpath, no
// VCS stamping and an empty build ID.
func compile(ctx context.Context, o Options, p v1.Platform, tmp string) ([]byte, error) {
	platEnv, err := goEnv(p)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(tmp, strings.NewReplacer("/", "-").Replace(p.String()))
	ldflags := append([]string{"-buildid="}, o.LDFlags...)
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=" + strings.Join(ldflags, " "), "-o", out}
	if len(o.BuildTags) > 0 {
		args = append(args, "-tags", strings.Join(o.BuildTags, ","))
	}
	args = append(args, o.Package)
	cmd := exec.CommandContext(ctx, o.GoCommand, args...)
	cmd.Dir = o.Dir
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(append([]string(nil), env...), platEnv...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w %s for %s: %v\n%s", ErrCompile, o.Package, p, err, strings.TrimSpace(output.String()))
	}
	return os.ReadFile(out)
}
