package workspace

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
)

// Module is a Go module whose packages are part of the workspace: the main
// module, each go.work module, and modules that a replace directive points at
// a directory inside the workspace.
type Module struct {
	// Path is the module path.
	Path string
	// Dir is the module directory relative to the workspace root ("." for the
	// root), slash-separated.
	Dir string
	// File is the parsed go.mod.
	File *modfile.File
	// Main is true for the main module(s): the root go.mod or go.work's uses.
	Main bool
}

// loadModules reads go.work (if present) or the root go.mod, and follows
// local replace directives into the workspace.
func loadModules(root string) ([]*Module, error) {
	var dirs []string
	if data, err := os.ReadFile(filepath.Join(root, "go.work")); err == nil {
		wf, err := modfile.ParseWork("go.work", data, nil)
		if err != nil {
			return nil, fmt.Errorf("parsing go.work: %w", err)
		}
		for _, u := range wf.Use {
			dirs = append(dirs, u.Path)
		}
	} else if exists(filepath.Join(root, "go.mod")) {
		dirs = []string{"."}
	}
	var mods []*Module
	seen := map[string]bool{}
	var add func(dir string, main bool) error
	add = func(dir string, main bool) error {
		rel := path.Clean(filepath.ToSlash(dir))
		if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) || seen[rel] {
			return nil
		}
		file := path.Join(rel, "go.mod")
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			if main {
				return fmt.Errorf("reading %s: %w", file, err)
			}
			return nil // a replace target that is not a module here
		}
		mf, err := modfile.Parse(file, data, nil)
		if err != nil {
			return fmt.Errorf("parsing %w", err)
		}
		if mf.Module == nil {
			return fmt.Errorf("%s: no module directive", file)
		}
		seen[rel] = true
		mods = append(mods, &Module{Path: mf.Module.Mod.Path, Dir: rel, File: mf, Main: main})
		for _, r := range mf.Replace {
			if r.New.Version == "" && modfile.IsDirectoryPath(r.New.Path) {
				if err := add(path.Join(rel, filepath.ToSlash(r.New.Path)), false); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, d := range dirs {
		if err := add(d, true); err != nil {
			return nil, err
		}
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Dir < mods[j].Dir })
	return mods, nil
}

// ModuleForDir returns the workspace module containing the relative
// directory dir (the one with the longest matching Dir), or nil.
func (ws *Workspace) ModuleForDir(dir string) *Module {
	var best *Module
	for _, m := range ws.Modules {
		if m.Dir == "." || dir == m.Dir || strings.HasPrefix(dir, m.Dir+"/") {
			if best == nil || len(m.Dir) > len(best.Dir) || best.Dir == "." {
				best = m
			}
		}
	}
	return best
}

// ImportPath returns the import path of the package in relative directory
// dir, or "" when dir is in no workspace module.
func (ws *Workspace) ImportPath(dir string) string {
	m := ws.ModuleForDir(dir)
	if m == nil {
		return ""
	}
	if dir == m.Dir {
		return m.Path
	}
	rest := dir
	if m.Dir != "." {
		rest = strings.TrimPrefix(dir, m.Dir+"/")
	}
	return m.Path + "/" + rest
}

// PackageDir returns the workspace-relative directory of a workspace package
// import path, or "" with false when the path is in no workspace module.
func (ws *Workspace) PackageDir(importPath string) (string, bool) {
	var best *Module
	for _, m := range ws.Modules {
		if importPath == m.Path || strings.HasPrefix(importPath, m.Path+"/") {
			if best == nil || len(m.Path) > len(best.Path) {
				best = m
			}
		}
	}
	if best == nil {
		return "", false
	}
	return path.Join(best.Dir, strings.TrimPrefix(importPath, best.Path)), true
}
