// Package wsgen generates deterministic synthetic Go monorepos laid out like
// a Centuria workspace, makes typed changes to them, and computes the exact
// set of affected packages with go list as an oracle.
//
// A workspace has one root go.mod, apps under apps/<name> and libraries
// under libs/<scope>/<type>-<name> whose imports follow the default
// boundary rules (see Allowed) as a DAG with a few root util libraries that
// most others import. It also holds what makes analysis hard: test-only
// imports, external test packages, build-constrained files importing
// different libraries, //go:embed, testdata/ and non-Go files, and small
// local third-party modules required at v1.0.0 and replaced by their
// directories, so the workspace builds fully offline.
package wsgen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Generate writes the workspace described by spec into dir, which must be
// empty or missing, and returns its manifest. It returns an error wrapping
// ErrInvalidSpec or ErrNotEmpty, or the I/O error met.
func Generate(dir string, spec Spec) (*Manifest, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec = spec.withDefaults()
	if err := checkEmpty(dir); err != nil {
		return nil, err
	}
	p := newPlan(spec)
	files := p.files()
	paths := make([]string, 0, len(files))
	for path := range files {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	made := make(map[string]bool)
	for _, path := range paths {
		full := filepath.Join(dir, filepath.FromSlash(path))
		parent := filepath.Dir(full)
		if !made[parent] {
			if err := os.MkdirAll(parent, 0o755); err != nil {
				return nil, fmt.Errorf("generating workspace: %w", err)
			}
			made[parent] = true
		}
		if err := os.WriteFile(full, []byte(files[path]), 0o644); err != nil {
			return nil, fmt.Errorf("generating workspace: %w", err)
		}
	}
	return p.manifest(), nil
}

func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading output directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s: %w", dir, ErrNotEmpty)
	}
	return nil
}
