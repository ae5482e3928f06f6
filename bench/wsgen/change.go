package wsgen

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
)

// ApplyChange makes the planned change of kind k in the workspace at dir
// and returns the workspace-relative, slash-separated files it edited,
// added or deleted. The workspace still builds afterwards. Applying the
// same edit twice is allowed except for deleted-file, whose second
// application fails. It returns an error wrapping ErrUnknownChange when the
// manifest plans no change of that kind.
func ApplyChange(dir string, m *Manifest, k ChangeKind) ([]string, error) {
	c, err := m.Change(k)
	if err != nil {
		return nil, err
	}
	if len(c.Files) != 1 {
		return nil, fmt.Errorf("change %q: want one file, have %d: %w", k, len(c.Files), ErrUnknownChange)
	}
	rel := c.Files[0]
	full := filepath.Join(dir, filepath.FromSlash(rel))
	switch k {
	case ChangeModBump:
		err = bumpRequire(full, c.Module, c.Version)
	case ChangeNewFile:
		err = addGoFile(full)
	case ChangeDeletedFile:
		err = os.Remove(full)
	default:
		if strings.HasSuffix(rel, ".go") {
			err = appendText(full, fmt.Sprintf("\n// Edited by the synthetic %s change.\nvar _ = %q\n", k, k))
		} else {
			err = appendText(full, "\n")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("applying change %q to %s: %w", k, rel, err)
	}
	return c.Files, nil
}

func appendText(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}

// addGoFile writes a new source file in the package of its directory.
func addGoFile(path string) error {
	pkg, err := packageName(filepath.Dir(path))
	if err != nil {
		return err
	}
	src := fmt.Sprintf("package %s\n\n// Added is declared in a file the new-file change adds.\nfunc Added() string { return Name }\n", pkg)
	return os.WriteFile(path, []byte(src), 0o644)
}

// packageName reads the package clause of the first non-test Go file in dir.
func packageName(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, n), nil, parser.PackageClauseOnly)
		if err != nil {
			return "", err
		}
		return f.Name.Name, nil
	}
	return "", fmt.Errorf("no Go file in %s", dir)
}

// bumpRequire sets the required version of module in the go.mod at path,
// keeping every replace directive.
func bumpRequire(path, module, version string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return err
	}
	if err := f.AddRequire(module, version); err != nil {
		return err
	}
	out, err := f.Format()
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
