// Package deploytree builds, for tests, a temporary workspace holding the
// repository's service chart and ArgoCD files plus given app values files.
package deploytree

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Dirs are the repository directories copied into the workspace.
var Dirs = []string{"deploy/charts/service", "deploy/argocd"}

// New copies Dirs from the repository at repo into a temporary directory,
// writes extra files (path -> content, e.g. go.mod) and one
// apps/<app>/deploy/values.yaml per entry of apps, and returns the
// directory.
func New(t testing.TB, repo string, apps, extra map[string]string) string {
	t.Helper()
	dst := t.TempDir()
	for _, dir := range Dirs {
		from := filepath.Join(repo, filepath.FromSlash(dir))
		err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(from, p)
			to := filepath.Join(dst, filepath.FromSlash(dir), rel)
			if d.IsDir() {
				return os.MkdirAll(to, 0o755)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{}
	for k, v := range extra {
		files[k] = v
	}
	for app, values := range apps {
		files["apps/"+app+"/deploy/values.yaml"] = values
	}
	for name, content := range files {
		p := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
