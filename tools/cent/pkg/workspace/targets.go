package workspace

// PlaceholderCent in a command is replaced by the path of the running cent.
const PlaceholderCent = "{cent}"

// targetDefault is a built-in target for some project types.
type targetDefault struct {
	name   string
	target Target
}

// builtinTargets are the targets every project gets unless cent.yaml's
// targetDefaults replaces them by name.
func builtinTargets() []targetDefault {
	return []targetDefault{
		{"build", Target{
			Command: "go build -trimpath -o dist/{projectName}/{projectName} ./{projectRoot}",
			Inputs:  []string{"production", "^production"},
			Outputs: []string{"dist/{projectName}"},
			Types:   []ProjectType{TypeApp},
		}},
		{"build", Target{
			Command: "go build {packages}",
			Inputs:  []string{"production", "^production"},
			Types:   []ProjectType{TypeFeature, TypeUI, TypeDataAccess, TypeUtil, TypeLib},
		}},
		{"test", Target{
			Command: "go test {packages}",
			Inputs:  []string{"default", "^production"},
		}},
		{"vet", Target{
			Command: "go vet {packages}",
			Inputs:  []string{"default", "^production"},
		}},
		{"lint", Target{
			Command: "{cent} lint {projectName}",
			Inputs:  []string{"production", "^production", "{workspaceRoot}/cent.yaml"},
		}},
	}
}

func appliesTo(t Target, typ ProjectType) bool {
	if len(t.Types) == 0 {
		return true
	}
	for _, x := range t.Types {
		if x == typ {
			return true
		}
	}
	return false
}

// resolveTargets computes a project's targets: built-in defaults, replaced by
// name by cent.yaml's targetDefaults, then merged field by field with the
// project's own project.yaml targets.
func resolveTargets(cfg *Config, typ ProjectType, own map[string]Target) map[string]Target {
	out := map[string]Target{}
	for _, d := range builtinTargets() {
		if _, replaced := cfg.TargetDefaults[d.name]; replaced {
			continue
		}
		if appliesTo(d.target, typ) {
			out[d.name] = d.target
		}
	}
	for name, t := range cfg.TargetDefaults {
		if appliesTo(t, typ) {
			out[name] = t
		}
	}
	for name, t := range own {
		out[name] = mergeTarget(out[name], t)
	}
	for name, t := range out {
		t.Types = nil
		out[name] = t
	}
	return out
}

// mergeTarget overlays the fields set in over onto base.
func mergeTarget(base, over Target) Target {
	if over.Command != "" {
		base.Command = over.Command
	}
	if over.DependsOn != nil {
		base.DependsOn = over.DependsOn
	}
	if over.Inputs != nil {
		base.Inputs = over.Inputs
	}
	if over.Outputs != nil {
		base.Outputs = over.Outputs
	}
	if over.Env != nil {
		base.Env = over.Env
	}
	if over.Cache != nil {
		base.Cache = over.Cache
	}
	return base
}
