package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/centuria/centuria/bench/wsgen"
)

func TestWriteNxWorkspace(t *testing.T) {
	dir := t.TempDir()
	spec, _ := wsgen.Preset("tiny")
	m, err := wsgen.Generate(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	tools := t.TempDir()
	if err := writeNxWorkspace(dir, tools, m); err != nil {
		t.Fatal(err)
	}
	var nx struct {
		Plugins []string `json:"plugins"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "nx.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &nx); err != nil || len(nx.Plugins) != 1 || nx.Plugins[0] != "@nx-go/nx-go" {
		t.Errorf("nx.json = %s (%v)", data, err)
	}
	for _, p := range m.Projects {
		var pj struct {
			Name, ProjectType string
			Tags              []string
		}
		data, err := os.ReadFile(filepath.Join(dir, p.Dir, "project.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &pj); err != nil || pj.Name != p.Name || len(pj.Tags) != len(p.Tags) {
			t.Errorf("%s/project.json = %s (%v)", p.Dir, data, err)
		}
		if want := map[bool]string{true: "application", false: "library"}[p.Type == wsgen.TypeApp]; pj.ProjectType != want {
			t.Errorf("%s: projectType %q, want %q", p.Name, pj.ProjectType, want)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "node_modules")); err != nil || target != filepath.Join(tools, "node_modules") {
		t.Errorf("node_modules link = %q, %v", target, err)
	}
	names, err := parseNxProjects([]byte(`["a","b"]`))
	if err != nil || len(names) != 2 {
		t.Errorf("parseNxProjects = %v, %v", names, err)
	}
	if _, err := parseNxProjects([]byte(`{`)); err == nil {
		t.Error("parseNxProjects accepted bad JSON")
	}
}
