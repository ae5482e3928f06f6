package workspace

import (
	"errors"
	"strings"
	"testing"
)

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown top key", "projects: []\nprojectz: [a]\n", `cent.yaml:2: unknown key "projectz"`},
		{"unknown nested key", "targetDefaults:\n  build:\n    comand: go build\n", `cent.yaml:3: unknown key "comand"`},
		{"wrong type", "exclude: 3\n", "cent.yaml:1: invalid value"},
		{"bad glob", "projects:\n  - \"../outside/*\"\n", `cent.yaml:2: glob "../outside/*" must not leave the workspace`},
		{"bad type in boundaries", "boundaries:\n  types:\n    service: [util]\n", `cent.yaml:3: boundaries.types: unknown project type "service"`},
		{"bad allowed type", "boundaries:\n  types:\n    ui: [util, widget]\n", `cent.yaml:3: boundaries.types.ui: unknown project type "widget"`},
		{"bad env", "targetDefaults:\n  test:\n    env: [\"A B\"]\n", `cent.yaml:3: targetDefaults.test.env: invalid variable name "A B"`},
		{"caret glob", "namedInputs:\n  x: [\"^src/*.go\"]\n", `cent.yaml:2: input "^src/*.go": '^' only goes before a named input`},
		{"two documents", "projects: []\n---\nexclude: []\n", "cent.yaml:2: only one YAML document is allowed"},
		{"not a mapping", "- a\n- b\n", "cent.yaml:1: expected a mapping"},
		{"syntax", "projects: [a\n", "cent.yaml:"},
		{"rule without allow", "boundaries:\n  rules:\n    - tag: scope:a\n", "boundaries.rules[0].allow: must list at least one tag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("cent.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatalf("no error for %q", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError", err)
			}
		})
	}
}

func TestParseConfigValid(t *testing.T) {
	cfg, err := ParseConfig("cent.yaml", []byte(`
projects: ["services/*"]
exclude: ["legacy/**"]
namedInputs:
  sql: ["{projectRoot}/**/*.sql"]
targetDefaults:
  build:
    types: [app]
    command: go build -o dist/{projectName} ./{projectRoot}
    inputs: [production, "^production", sql]
    outputs: ["dist/{projectName}"]
    env: [CGO_ENABLED]
    cache: true
boundaries:
  sharedScopes: [shared]
  rules:
    - tag: scope:orders
      allow: [scope:orders, scope:shared]
platform:
  goos: linux
  goarch: arm64
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.TargetDefaults["build"].Types; len(got) != 1 || got[0] != TypeApp {
		t.Fatalf("types = %v", got)
	}
	if cfg.Platform.GOARCH != "arm64" || len(cfg.Boundaries.Rules) != 1 {
		t.Fatalf("config = %+v", cfg)
	}
	empty, err := ParseConfig("cent.yaml", nil)
	if err != nil || empty == nil {
		t.Fatalf("empty file: %v", err)
	}
}

func TestParseProjectFileErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"name: ok\ntype: service\n", `project.yaml:2: type: unknown project type "service"`},
		{"name: \"has space\"\n", `project.yaml:1: name: invalid project name "has space"`},
		{"tags: [\"bad tag\"]\n", `project.yaml:1: tags: invalid tag "bad tag"`},
		{"targets:\n  build:\n    types: [app]\n", "project.yaml:3: targets.build.types: only allowed in cent.yaml"},
		{"targets:\n  \"b c\":\n    command: x\n", `project.yaml:2: targets.b c: invalid target name "b c"`},
		{"implicitDependencies: [\"a b\"]\n", `project.yaml:1: implicitDependencies: invalid project name "a b"`},
		{"inputs: [\"/etc/passwd\"]\n", `project.yaml:1: glob "/etc/passwd" must be relative`},
		{"targets:\n  build:\n    dependsOn: [\"^\"]\n", `project.yaml:3: targets.build.dependsOn: invalid target "^"`},
		{"targets:\n  build:\n    outputs: [\"../x\"]\n", "project.yaml:3: targets.build.outputs"},
		{"owner: me\n", `project.yaml:1: unknown key "owner"`},
	}
	for _, c := range cases {
		_, err := ParseProjectFile("project.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseProjectFile(%q) = %v, want error containing %q", c.yaml, err, c.want)
		}
	}
}

// FuzzParseConfig checks that no input makes the parsers panic, and that an
// accepted file is accepted again (parsing is deterministic).
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"projects: [\"services/*\"]\n",
		"targetDefaults:\n  build:\n    command: go build\n    inputs: [production]\n",
		"boundaries:\n  types:\n    ui: [util]\n",
		"namedInputs:\n  a: [b]\n  b: [a]\n",
		"- x\n",
		"{",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c1, err1 := ParseConfig("cent.yaml", data)
		c2, err2 := ParseConfig("cent.yaml", data)
		if (err1 == nil) != (err2 == nil) || (c1 == nil) != (c2 == nil) {
			t.Fatalf("non-deterministic result: %v / %v", err1, err2)
		}
		_, _ = ParseProjectFile("project.yaml", data)
	})
}
