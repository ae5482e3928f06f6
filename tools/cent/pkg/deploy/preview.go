package deploy

import (
	"context"
	"fmt"
	"path/filepath"
)

// Options configure Preview. The zero value previews every Application of
// ApplicationSetFile for DefaultKubeVersion.
type Options struct {
	// ApplicationSet is the workspace-relative ApplicationSet file
	// (default ApplicationSetFile).
	ApplicationSet string
	// KubeVersion is the cluster version charts are rendered for
	// (default DefaultKubeVersion).
	KubeVersion string
	// Apps, when set, limits the preview to these Application names.
	Apps []string
}

// Result is one previewed Application: the object the ApplicationSet
// generates and its rendered manifests, or the error rendering them.
type Result struct {
	Application *Application `json:"application"`
	Manifests   []Manifest   `json:"manifests"`
	// Err is the render error, if any; Error is its text for JSON output.
	Err   error  `json:"-"`
	Error string `json:"error,omitempty"`
}

// Preview generates the Applications of the workspace at root and renders
// each one. A broken ApplicationSet, a failed generation or an unknown app
// in opts.Apps (ErrUnknownApp) is returned as an error; a failure to render
// one Application is recorded in its Result so the others still render.
func Preview(ctx context.Context, root string, opts Options) ([]*Result, error) {
	rel := opts.ApplicationSet
	if rel == "" {
		rel = ApplicationSetFile
	}
	set, err := LoadApplicationSet(filepath.Join(root, filepath.FromSlash(rel)), rel)
	if err != nil {
		return nil, err
	}
	apps, err := Generate(ctx, root, set)
	if err != nil {
		return nil, err
	}
	if apps, err = selectApps(apps, opts.Apps); err != nil {
		return nil, err
	}
	r := NewRenderer(root, set, opts.KubeVersion)
	results := make([]*Result, 0, len(apps))
	for _, app := range apps {
		res := &Result{Application: app, Manifests: []Manifest{}}
		ms, err := r.Render(ctx, app)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			res.Err, res.Error = err, err.Error()
		} else {
			res.Manifests = ms
		}
		results = append(results, res)
	}
	return results, nil
}

func selectApps(apps []*Application, names []string) ([]*Application, error) {
	if len(names) == 0 {
		return apps, nil
	}
	byName := make(map[string]*Application, len(apps))
	for _, a := range apps {
		byName[a.Name] = a
	}
	var out []*Application
	seen := map[string]bool{}
	for _, n := range names {
		a, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("%w %q (the ApplicationSet generates %d Applications)", ErrUnknownApp, n, len(apps))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, a)
		}
	}
	return out, nil
}
