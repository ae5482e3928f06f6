package deploy

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// renderer renders every string of an ApplicationSet template with
// text/template, as ArgoCD does for goTemplate ApplicationSets: Sprig
// functions without env, expandenv and getHostByName, plus normalize,
// toYaml, fromYaml and fromYamlArray.
type renderer struct {
	options []string
	funcs   template.FuncMap
	parsed  map[string]*template.Template
}

func newRenderer(options []string) *renderer {
	funcs := sprig.TxtFuncMap()
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		delete(funcs, name)
	}
	funcs["normalize"] = sanitizeName
	funcs["toYaml"] = func(v any) (string, error) {
		b, err := yaml.Marshal(v)
		return strings.TrimSuffix(string(b), "\n"), err
	}
	funcs["fromYaml"] = func(s string) (map[string]any, error) {
		m := map[string]any{}
		return m, yaml.Unmarshal([]byte(s), &m)
	}
	funcs["fromYamlArray"] = func(s string) ([]any, error) {
		var a []any
		return a, yaml.Unmarshal([]byte(s), &a)
	}
	return &renderer{options: options, funcs: funcs, parsed: map[string]*template.Template{}}
}

// render returns a deep copy of v with every string (map values and list
// items; keys are kept) rendered against params. at names v in errors.
func (r *renderer) render(v any, params map[string]any, at string) (any, error) {
	switch v := v.(type) {
	case string:
		return r.renderString(v, params, at)
	case map[string]any:
		out := make(map[string]any, len(v))
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			x, err := r.render(v[k], params, joinField(at, k))
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			x, err := r.render(e, params, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	default:
		return v, nil
	}
}

func (r *renderer) renderString(s string, params map[string]any, at string) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	t, ok := r.parsed[s]
	if !ok {
		var err error
		t, err = template.New(at).Funcs(r.funcs).Option(r.options...).Parse(s)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", ErrTemplate, at, err)
		}
		r.parsed[s] = t
	}
	var b strings.Builder
	if err := t.Execute(&b, params); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrTemplate, at, err)
	}
	return b.String(), nil
}

func joinField(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

var invalidDNSNameChars = regexp.MustCompile(`[^-a-z0-9.]`)

// sanitizeName turns s into a DNS-1123 subdomain the way ArgoCD's
// SanitizeName does (path.basenameNormalized, the normalize function).
func sanitizeName(s string) string {
	s = invalidDNSNameChars.ReplaceAllString(strings.ToLower(s), "-")
	if len(s) > 253 {
		s = s[:253]
	}
	return strings.Trim(s, "-.")
}
