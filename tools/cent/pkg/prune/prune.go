// Package prune writes a minimal build context for one app: go.mod, go.sum
// and exactly the packages (with their embedded files) the app's build
// needs, so a Docker layer cache stays warm when unrelated projects change.
package prune

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/graph"
)

// ErrNotEmpty is returned when the output directory exists and is not empty.
var ErrNotEmpty = errors.New("output directory is not empty")

// Files returns the workspace-relative files an app's build needs: the
// go.mod and go.sum of every workspace module (and go.work with go.work.sum
// when present), the non-test Go files of every workspace
// package the app imports transitively (files for other platforms
// included, so the context builds for any GOOS/GOARCH), and their embedded
// files. The list is sorted.
func Files(g *graph.Graph, project string) ([]string, error) {
	ws := g.Workspace
	pr, err := ws.Project(project)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var queue []*graph.Package
	for _, p := range g.PackagesOf(pr.Name) {
		queue = append(queue, p)
	}
	if len(queue) == 0 {
		return nil, fmt.Errorf("project %s has no Go packages", project)
	}
	set := map[string]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p.ImportPath] {
			continue
		}
		seen[p.ImportPath] = true
		if p.Error != "" {
			return nil, fmt.Errorf("package %s: %s", p.ImportPath, p.Error)
		}
		for _, f := range append(append([]string(nil), p.GoFiles...), p.IgnoredFiles...) {
			set[path.Join(p.Dir, f)] = true
		}
		for _, f := range p.EmbedFiles {
			set[f] = true
		}
		for _, imp := range p.Imports {
			if q, ok := g.Package(imp); ok && !seen[imp] {
				queue = append(queue, q)
			}
		}
	}
	// Every workspace module's go.mod and go.sum: the go command reads the
	// go.mod of each locally replaced module even when no package of it is
	// built.
	for _, m := range ws.Modules {
		set[path.Join(m.Dir, "go.mod")] = true
		if _, err := os.Stat(filepath.Join(ws.Root, m.Dir, "go.sum")); err == nil {
			set[path.Join(m.Dir, "go.sum")] = true
		}
	}
	for _, f := range []string{"go.work", "go.work.sum"} {
		if _, err := os.Stat(filepath.Join(ws.Root, f)); err == nil {
			set[f] = true
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

// Write copies files from the workspace root into dir, creating it. Every
// file gets mode 0644 (0755 for executables) and a fixed modification time,
// so equal inputs give byte-identical trees. dir must be empty or absent.
func Write(ctx context.Context, root string, files []string, dir string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s: %w", dir, ErrNotEmpty)
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(f, "../") || path.IsAbs(f) {
			return fmt.Errorf("refusing to copy %s: outside the workspace", f)
		}
		if err := copyFile(filepath.Join(root, filepath.FromSlash(f)), filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	mode := os.FileMode(0o644)
	if fi.Mode()&0o111 != 0 {
		mode = 0o755
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, in); err != nil {
		return err
	}
	if err := os.WriteFile(dst, buf.Bytes(), mode); err != nil {
		return err
	}
	if err := os.Chmod(dst, mode); err != nil {
		return err
	}
	return os.Chtimes(dst, fixedTime, fixedTime)
}

// fixedTime is the modification time of every pruned file.
var fixedTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
