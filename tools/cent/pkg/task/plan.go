package task

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/graph"
	"github.com/centuria/centuria/tools/cent/pkg/workspace"
)

// Task is one target of one project.
type Task struct {
	// ID is "project:target".
	ID      string
	Project *workspace.Project
	Target  string
	Def     workspace.Target
	// Command is the expanded shell command.
	Command string
	// Outputs are the expanded output paths, workspace-relative.
	Outputs []string
	// Deps are the tasks that must succeed first.
	Deps []*Task
	// Key identifies the task's inputs; Inputs is its manifest.
	Key    cache.Digest
	Inputs map[string]string
	// Requested is false for tasks planned only because a requested task
	// depends on them.
	Requested bool
}

// Plan is a task DAG in a runnable order.
type Plan struct {
	// Tasks are topologically sorted: every task comes after its deps.
	Tasks []*Task
	byID  map[string]*Task
}

// Task returns the task with the given id.
func (p *Plan) Task(id string) (*Task, bool) {
	t, ok := p.byID[id]
	return t, ok
}

// PlanOptions select what to plan.
type PlanOptions struct {
	// Targets are the target names to run.
	Targets []string
	// Projects are the selected project names.
	Projects []string
	// Cent is the path substituted for {cent} in commands.
	Cent string
}

// NewPlan builds the task DAG for the targets of the selected projects,
// adding the tasks they depend on. Projects without a requested target are
// skipped; it is an error when none has any.
func NewPlan(g *graph.Graph, o PlanOptions) (*Plan, error) {
	p := &Plan{byID: map[string]*Task{}}
	ws := g.Workspace
	var visit func(pr *workspace.Project, target string, requested bool, stack []string) (*Task, error)
	visit = func(pr *workspace.Project, target string, requested bool, stack []string) (*Task, error) {
		id := pr.Name + ":" + target
		for i, s := range stack {
			if s == id {
				return nil, fmt.Errorf("%w: %s", ErrCycle, strings.Join(append(stack[i:], id), " → "))
			}
		}
		if t, ok := p.byID[id]; ok {
			t.Requested = t.Requested || requested
			return t, nil
		}
		def, ok := pr.Targets[target]
		if !ok {
			return nil, nil
		}
		cmd, skip := expandCommand(g, pr, def.Command, o.Cent)
		if skip {
			return nil, nil
		}
		t := &Task{ID: id, Project: pr, Target: target, Def: def, Command: cmd, Requested: requested}
		for _, out := range def.Outputs {
			t.Outputs = append(t.Outputs, expandPath(pr, out))
		}
		stack = append(stack, id)
		for _, d := range def.DependsOn {
			var deps []*Task
			if name, ok := strings.CutPrefix(d, "^"); ok {
				for _, dep := range g.Deps(pr.Name) {
					if dep.Kind == graph.TestImport {
						continue
					}
					dp, err := ws.Project(dep.Target)
					if err != nil {
						return nil, err
					}
					dt, err := visit(dp, name, false, stack)
					if err != nil {
						return nil, err
					}
					if dt != nil {
						deps = append(deps, dt)
					}
				}
			} else {
				dt, err := visit(pr, d, false, stack)
				if err != nil {
					return nil, err
				}
				if dt != nil {
					deps = append(deps, dt)
				}
			}
			t.Deps = append(t.Deps, deps...)
		}
		sort.Slice(t.Deps, func(i, j int) bool { return t.Deps[i].ID < t.Deps[j].ID })
		p.byID[id] = t
		p.Tasks = append(p.Tasks, t) // post-order: deps first
		return t, nil
	}
	found := map[string]bool{}
	for _, name := range o.Projects {
		pr, err := ws.Project(name)
		if err != nil {
			return nil, err
		}
		for _, target := range o.Targets {
			t, err := visit(pr, target, true, nil)
			if err != nil {
				return nil, err
			}
			if t != nil {
				found[target] = true
			}
		}
	}
	if len(o.Projects) > 0 {
		for _, target := range o.Targets {
			if !found[target] {
				return nil, fmt.Errorf("%w %q: none of the selected projects has it", ErrUnknownTarget, target)
			}
		}
	}
	return p, nil
}

// expandCommand substitutes the placeholders of a command. skip is true when
// the command needs {packages} and the project has none.
func expandCommand(g *graph.Graph, pr *workspace.Project, cmd, cent string) (string, bool) {
	if strings.Contains(cmd, workspace.PlaceholderPackages) {
		var pkgs []string
		for _, p := range g.PackagesOf(pr.Name) {
			// Packages of the root module by directory; those of other
			// workspace modules (locally replaced ones) by import path,
			// which the go command accepts from the root module.
			if m := g.Workspace.ModuleForDir(p.Dir); m != nil && m.Dir != "." {
				pkgs = append(pkgs, p.ImportPath)
			} else {
				pkgs = append(pkgs, "./"+p.Dir)
			}
		}
		if len(pkgs) == 0 {
			return "", true
		}
		cmd = strings.ReplaceAll(cmd, workspace.PlaceholderPackages, strings.Join(pkgs, " "))
	}
	if cent == "" {
		cent, _ = os.Executable()
	}
	return strings.NewReplacer(
		workspace.PlaceholderProjectRoot, pr.Root,
		workspace.PlaceholderProjectName, pr.Name,
		workspace.PlaceholderWorkspaceRoot, ".",
		workspace.PlaceholderCent, shellQuote(cent),
	).Replace(cmd), false
}

func expandPath(pr *workspace.Project, p string) string {
	p = strings.NewReplacer(
		workspace.PlaceholderProjectRoot, pr.Root,
		workspace.PlaceholderProjectName, pr.Name,
		workspace.PlaceholderWorkspaceRoot, ".",
	).Replace(p)
	return path.Clean(p)
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
