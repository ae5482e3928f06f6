package benchkit

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Nx versions, as measured in the competitor figures.
const (
	NxVersion   = "22.7.12"
	NxGoVersion = "4.1.1"
)

// InstallNx installs nx and @nx-go/nx-go with npm into dir/node_modules
// once and returns the path of the nx binary.
func InstallNx(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	bin := filepath.Join(dir, "node_modules", ".bin", "nx")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"nx-tools","private":true}`+"\n"), 0o644); err != nil {
		return "", err
	}
	fmt.Fprintf(stderr, "installing nx@%s and @nx-go/nx-go@%s with npm...\n", NxVersion, NxGoVersion)
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
		"nx@"+NxVersion, "@nx-go/nx-go@"+NxGoVersion)
	cmd.Dir = dir
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install nx: %w", err)
	}
	return bin, nil
}
