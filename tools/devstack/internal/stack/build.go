package stack

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Module is the module path of the repository the launcher runs from.
const Module = "github.com/centuria/centuria"

// ErrNotInRepo is returned by FindRepoRoot outside the repository.
var ErrNotInRepo = errors.New("not inside the " + Module + " repository")

// FindRepoRoot walks up from dir to the directory whose go.mod declares
// Module. It returns ErrNotInRepo when there is none.
func FindRepoRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if f, err := os.Open(filepath.Join(d, "go.mod")); err == nil {
			mod := modulePath(f)
			f.Close()
			if mod == Module {
				return d, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%w (searched upwards from %s)", ErrNotInRepo, abs)
		}
	}
}

func modulePath(f *os.File) string {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// DefaultBinDir is where the launcher keeps the binaries it builds:
// <user cache dir>/centuria/devstack/bin.
func DefaultBinDir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("user cache directory: %w", err)
	}
	return filepath.Join(c, "centuria", "devstack", "bin"), nil
}

// Build compiles apps/<name> for every name into binDir with one go build
// (so shared packages compile once) and returns the binaries by name. A
// missing app directory is an error naming it.
func Build(ctx context.Context, repoRoot, binDir string, names []string) (map[string]string, error) {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, fmt.Errorf("binary directory: %w", err)
	}
	args := []string{"build", "-o", binDir + string(filepath.Separator)}
	out := map[string]string{}
	var missing []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(repoRoot, "apps", n, "main.go")); err != nil {
			missing = append(missing, "apps/"+n)
			continue
		}
		args = append(args, "./apps/"+n)
		exe := n
		if runtime.GOOS == "windows" {
			exe += ".exe"
		}
		out[n] = filepath.Join(binDir, exe)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("building the platform: %s not found under %s (no main.go)", strings.Join(missing, ", "), repoRoot)
	}
	cmd := exec.CommandContext(ctx, goTool(), args...)
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// goTool is the go command, found on PATH.
func goTool() string { return "go" }
