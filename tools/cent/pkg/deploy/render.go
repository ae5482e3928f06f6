package deploy

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// DefaultKubeVersion is the Kubernetes version charts are rendered for when
// none is given.
const DefaultKubeVersion = "v1.33.0"

// Manifest is one rendered Kubernetes object.
type Manifest struct {
	// Template is the chart template that produced it
	// ("service/templates/deployment.yaml").
	Template   string `json:"template"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	// Content is the object's YAML.
	Content string `json:"content"`
}

// Renderer renders Applications' Helm charts from a workspace, offline. It
// caches loaded charts and compiled schemas; it is not safe for concurrent
// use.
type Renderer struct {
	root        string
	repoURLs    map[string]bool
	kubeVersion string
	charts      map[string]*loadedChart
}

type loadedChart struct {
	chart     *chart.Chart
	validator *schemaValidator
}

// NewRenderer returns a renderer for the workspace at root. Application
// sources must point at one of set's generator repositories: the preview
// renders this repository only. kubeVersion defaults to DefaultKubeVersion.
func NewRenderer(root string, set *ApplicationSet, kubeVersion string) *Renderer {
	if kubeVersion == "" {
		kubeVersion = DefaultKubeVersion
	}
	r := &Renderer{root: root, repoURLs: map[string]bool{}, kubeVersion: kubeVersion, charts: map[string]*loadedChart{}}
	for _, g := range set.Generators {
		r.repoURLs[normalizeRepoURL(g.RepoURL)] = true
	}
	return r
}

func normalizeRepoURL(u string) string {
	return strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(u), "/"), ".git")
}

// Render renders app's chart with its value files as ArgoCD's repo server
// would: release name from spec.source.helm.releaseName (default: the
// Application's name), namespace from spec.destination.namespace, value
// files relative to the chart's path, then values and valuesObject. It
// returns ErrUnsupported for sources outside the repository or features the
// preview lacks, ErrValues (joined *ValuesError) for schema violations and
// ErrRender for chart errors.
func (r *Renderer) Render(ctx context.Context, app *Application) ([]Manifest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src := app.Source
	if !r.repoURLs[normalizeRepoURL(src.RepoURL)] {
		return nil, fmt.Errorf("%w: Application %q: source repoURL %q is not the generator's repository", ErrUnsupported, app.Name, src.RepoURL)
	}
	if src.Chart != "" {
		return nil, fmt.Errorf("%w: Application %q: charts from Helm repositories (spec.source.chart)", ErrUnsupported, app.Name)
	}
	chartDir, err := r.repoPath(src.Path, ".")
	if err != nil {
		return nil, fmt.Errorf("Application %q: spec.source.path: %w", app.Name, err)
	}
	sources, err := r.valueSources(app, chartDir)
	if err != nil {
		return nil, err
	}
	lc, err := r.loadChart(chartDir)
	if err != nil {
		return nil, fmt.Errorf("%w: Application %q: %w", ErrRender, app.Name, err)
	}
	user := map[string]any{}
	for _, s := range sources {
		user = mergeValues(user, s.vals)
	}
	coalesced, err := chartutil.CoalesceValues(lc.chart, user)
	if err != nil {
		return nil, fmt.Errorf("%w: Application %q: %w", ErrValues, app.Name, err)
	}
	if lc.validator != nil {
		if err := lc.validator.validate(coalesced, sources); err != nil {
			return nil, fmt.Errorf("Application %q: %w", app.Name, err)
		}
	}
	return r.renderChart(app, lc.chart, user)
}

// renderChart runs Helm's engine and sorts the objects in install order,
// hooks last, as helm template prints them.
func (r *Renderer) renderChart(app *Application, ch *chart.Chart, user map[string]any) ([]Manifest, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: r.kubeVersion}
	if v := ch.Metadata.KubeVersion; v != "" && !chartutil.IsCompatibleRange(v, r.kubeVersion) {
		return nil, fmt.Errorf("%w: Application %q: chart requires Kubernetes %s, rendering for %s", ErrRender, app.Name, v, r.kubeVersion)
	}
	release := app.Name
	if h := app.Source.Helm; h != nil && h.ReleaseName != "" {
		release = h.ReleaseName
	}
	opts := chartutil.ReleaseOptions{Name: release, Namespace: app.Destination.Namespace, Revision: 1, IsInstall: true}
	vals, err := chartutil.ToRenderValues(ch, user, opts, caps)
	if err != nil {
		return nil, fmt.Errorf("%w: Application %q: %w", ErrValues, app.Name, err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("%w: Application %q: %w", ErrRender, app.Name, err)
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, generic, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("%w: Application %q: %w", ErrRender, app.Name, err)
	}
	out := make([]Manifest, 0, len(generic)+len(hooks))
	for _, m := range generic {
		mf, err := newManifest(m.Name, m.Content)
		if err != nil {
			return nil, fmt.Errorf("%w: Application %q: %w", ErrRender, app.Name, err)
		}
		out = append(out, mf)
	}
	for _, h := range hooks {
		mf, err := newManifest(h.Path, h.Manifest)
		if err != nil {
			return nil, fmt.Errorf("%w: Application %q: %w", ErrRender, app.Name, err)
		}
		out = append(out, mf)
	}
	return out, nil
}

func newManifest(template, content string) (Manifest, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(content), &head); err != nil {
		return Manifest{}, fmt.Errorf("%s: %w", template, err)
	}
	if head.APIVersion == "" || head.Kind == "" || head.Metadata.Name == "" {
		return Manifest{}, fmt.Errorf("%s: object without apiVersion, kind or metadata.name", template)
	}
	return Manifest{Template: template, APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name,
		Content: strings.TrimSpace(content) + "\n"}, nil
}

// repoPath resolves rel (slash-separated) against base inside the
// repository and refuses paths that leave it.
func (r *Renderer) repoPath(rel, base string) (string, error) {
	if rel == "" {
		return "", fmt.Errorf("empty path")
	}
	if strings.HasPrefix(rel, "/") || strings.Contains(rel, "://") {
		return "", fmt.Errorf("%w: %q is not a path inside the repository", ErrUnsupported, rel)
	}
	p := path.Clean(path.Join(base, rel))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("%q leaves the repository", rel)
	}
	return p, nil
}

func (r *Renderer) loadChart(dir string) (*loadedChart, error) {
	if lc, ok := r.charts[dir]; ok {
		return lc, nil
	}
	ch, err := loader.Load(filepath.Join(r.root, filepath.FromSlash(dir)))
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", dir, err)
	}
	lc := &loadedChart{chart: ch}
	if len(ch.Schema) > 0 {
		if lc.validator, err = newSchemaValidator(ch.Schema); err != nil {
			return nil, fmt.Errorf("chart %s: %w", dir, err)
		}
	}
	r.charts[dir] = lc
	return lc, nil
}

// valueSources reads the Application's value files (relative to the chart
// directory) and inline values, in ArgoCD's precedence order.
func (r *Renderer) valueSources(app *Application, chartDir string) ([]*valuesSource, error) {
	h := app.Source.Helm
	if h == nil {
		return nil, nil
	}
	if len(h.Parameters) > 0 {
		return nil, fmt.Errorf("%w: Application %q: spec.source.helm.parameters", ErrUnsupported, app.Name)
	}
	var sources []*valuesSource
	for i, vf := range h.ValueFiles {
		if strings.HasPrefix(vf, "$") {
			return nil, fmt.Errorf("%w: Application %q: valueFiles[%d] %q uses a $ref source", ErrUnsupported, app.Name, i, vf)
		}
		p, err := r.repoPath(vf, chartDir)
		if err != nil {
			return nil, fmt.Errorf("Application %q: valueFiles[%d]: %w", app.Name, i, err)
		}
		data, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(p)))
		if err != nil {
			return nil, fmt.Errorf("%w: Application %q: valueFiles[%d]: %w", ErrValues, app.Name, i, err)
		}
		s, err := parseValues(p, data)
		if err != nil {
			return nil, fmt.Errorf("Application %q: %w", app.Name, err)
		}
		sources = append(sources, s)
	}
	if h.Values != "" && h.ValuesObject == nil {
		s, err := parseValues(fmt.Sprintf("Application %s spec.source.helm.values", app.Name), []byte(h.Values))
		if err != nil {
			return nil, fmt.Errorf("Application %q: %w", app.Name, err)
		}
		sources = append(sources, s)
	}
	if h.ValuesObject != nil {
		sources = append(sources, &valuesSource{name: fmt.Sprintf("Application %s spec.source.helm.valuesObject", app.Name), vals: h.ValuesObject})
	}
	return sources, nil
}
