package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/centuria/centuria/bench/wsgen"
)

// buildCent builds cent from this repository.
func buildCent(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./tools/cent")
	cmd.Dir = repoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building cent: %w\n%s", err, b)
	}
	return nil
}

// repoRoot finds the repository from the working directory.
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "tools", "cent", "main.go")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

func gitClone(ctx context.Context, src, dst string) error {
	cmd := exec.CommandContext(ctx, "git", "clone", "-q", src, dst)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git clone: %w\n%s", err, b)
	}
	return nil
}

// writeNx makes the workspace an Nx workspace with the same build targets
// as cent's defaults: a project.json per project (apps build a binary into
// dist/<name>, libraries build their packages), production inputs of the
// project and its dependencies, caching on, and the nx-go plugin for the
// Go import graph.
func writeNx(dir, tools string, m *wsgen.Manifest) error {
	files := map[string]any{
		"package.json": map[string]any{"name": "synth", "private": true},
		"nx.json": map[string]any{
			"plugins": []string{"@nx-go/nx-go"},
			"namedInputs": map[string]any{
				"default":    []string{"{projectRoot}/**/*"},
				"production": []string{"default", "!{projectRoot}/**/*_test.go", "!{projectRoot}/**/testdata/**", "!{projectRoot}/**/*.md"},
			},
			"targetDefaults": map[string]any{"build": map[string]any{"cache": true, "inputs": []string{"production", "^production"}}},
		},
	}
	for _, p := range m.Projects {
		typ, cmd, outputs := "library", "go build ./"+p.Dir+"/...", []string{}
		if p.Type == wsgen.TypeApp {
			typ = "application"
			cmd = fmt.Sprintf("go build -trimpath -o dist/%s/%s ./%s", p.Name, p.Name, p.Dir)
			outputs = []string{"{workspaceRoot}/dist/" + p.Name}
		}
		files[filepath.Join(p.Dir, "project.json")] = map[string]any{
			"name": p.Name, "projectType": typ, "tags": p.Tags, "sourceRoot": p.Dir,
			"targets": map[string]any{"build": map[string]any{
				"executor": "nx:run-commands",
				"options":  map[string]any{"command": cmd, "cwd": "{workspaceRoot}"},
				"outputs":  outputs,
			}},
		}
	}
	for _, e := range m.External {
		name := filepath.Base(e.Dir)
		files[filepath.Join(e.Dir, "project.json")] = map[string]any{
			"name": name, "projectType": "library", "sourceRoot": e.Dir,
			"targets": map[string]any{"build": map[string]any{
				"executor": "nx:run-commands",
				"options":  map[string]any{"command": "go build " + e.Path, "cwd": "{workspaceRoot}"},
			}},
		}
	}
	for p, v := range files {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, p), append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	if strings.TrimSpace(tools) == "" {
		return fmt.Errorf("no Nx tools directory")
	}
	return os.Symlink(filepath.Join(tools, "node_modules"), filepath.Join(dir, "node_modules"))
}
