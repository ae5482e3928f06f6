package main

import (
	"context"
	"encoding/json"
	"github.com/centuria/centuria/bench/benchkit"
	"io"
	"os"
	"path/filepath"

	"github.com/centuria/centuria/bench/wsgen"
)

// installNx installs Nx (see benchkit.InstallNx) into dir and returns dir.
func installNx(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	if _, err := benchkit.InstallNx(ctx, dir, stderr); err != nil {
		return "", err
	}
	return dir, nil
}

// writeNxWorkspace turns the generated workspace into an Nx workspace: nx.json
// with the nx-go plugin, a project.json per project (name, type, tags) and
// node_modules linked from the tools directory. It runs before the base
// commit so the change commit holds only the typed change.
func writeNxWorkspace(dir, tools string, m *wsgen.Manifest) error {
	files := map[string]any{
		"package.json": map[string]any{"name": "synth", "private": true},
		"nx.json": map[string]any{
			"plugins":        []string{"@nx-go/nx-go"},
			"defaultBase":    "main",
			"namedInputs":    map[string]any{"default": []string{"{projectRoot}/**/*"}},
			"targetDefaults": map[string]any{},
		},
	}
	for _, p := range m.Projects {
		typ := "library"
		if p.Type == wsgen.TypeApp {
			typ = "application"
		}
		files[filepath.Join(p.Dir, "project.json")] = map[string]any{
			"name": p.Name, "projectType": typ, "tags": p.Tags, "sourceRoot": p.Dir,
		}
	}
	for path, v := range files {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, path), append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("node_modules\n.nx\n.nx-graph.json\n"), 0o644); err != nil {
		return err
	}
	return os.Symlink(filepath.Join(tools, "node_modules"), filepath.Join(dir, "node_modules"))
}

// nxTools are the Nx commands measured beside cent's.
func nxTools(dir string) []tool {
	nx := filepath.Join(dir, "node_modules", ".bin", "nx")
	return []tool{
		{name: "nx graph --file (no daemon)", argv: []string{nx, "graph", "--file=.nx-graph.json"}},
		{name: "nx show projects --affected (no daemon)", short: "nx show projects --affected", parse: parseNxProjects,
			argv: []string{nx, "show", "projects", "--affected", "--base=HEAD~1", "--head=HEAD", "--json"}},
	}
}

// parseNxProjects reads the JSON array nx show projects --json prints.
func parseNxProjects(out []byte) ([]string, error) {
	var names []string
	err := json.Unmarshal(out, &names)
	return names, err
}
