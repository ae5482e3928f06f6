package deploy

import (
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// ApplicationSetFile is the ApplicationSet the preview reads, relative to the
// workspace root.
const ApplicationSetFile = "deploy/argocd/applicationset.yaml"

// ApplicationSet is the part of an argoproj.io/v1alpha1 ApplicationSet the
// preview evaluates: git files generators over this repository and the
// Application template.
type ApplicationSet struct {
	// Name and Namespace come from the ApplicationSet's metadata; generated
	// Applications live in Namespace unless the template says otherwise.
	Name, Namespace string
	// GoTemplateOptions are passed to text/template's Option ("missingkey=error").
	GoTemplateOptions []string
	// Generators are the git files generators, in order.
	Generators []GitFilesGenerator
	// Template is the Application template, as decoded YAML.
	Template map[string]any
}

// GitFilesGenerator is one git generator with files entries.
type GitFilesGenerator struct {
	RepoURL  string
	Revision string
	// Include and Exclude are the files globs.
	Include, Exclude []string
	// Values are extra parameters, templated with the file's parameters and
	// exposed as .values.
	Values map[string]string
}

// appSetDoc mirrors the ApplicationSet fields the preview understands; any
// other field in spec is rejected by the strict decoder so that a change to
// the ApplicationSet the preview cannot honour is loud, not silent.
type appSetDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"metadata"`
	Spec struct {
		GoTemplate        bool           `json:"goTemplate"`
		GoTemplateOptions []string       `json:"goTemplateOptions,omitempty"`
		Generators        []generatorDoc `json:"generators"`
		Template          map[string]any `json:"template"`
		SyncPolicy        map[string]any `json:"syncPolicy,omitempty"`
		Strategy          map[string]any `json:"strategy,omitempty"`
	} `json:"spec"`
}

type generatorDoc struct {
	Git *struct {
		RepoURL  string `json:"repoURL"`
		Revision string `json:"revision"`
		Files    []struct {
			Path    string `json:"path"`
			Exclude bool   `json:"exclude,omitempty"`
		} `json:"files"`
		Values              map[string]string `json:"values,omitempty"`
		RequeueAfterSeconds *int              `json:"requeueAfterSeconds,omitempty"`
	} `json:"git,omitempty"`
}

// LoadApplicationSet reads and checks an ApplicationSet file. name is used in
// errors. It returns ErrApplicationSet for malformed files and ErrUnsupported
// for features the preview does not evaluate (non-git generators, directory
// generators, Go templates turned off).
func LoadApplicationSet(file, name string) (*ApplicationSet, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrApplicationSet, err)
	}
	return ParseApplicationSet(data, name)
}

// ParseApplicationSet parses an ApplicationSet document; see LoadApplicationSet.
func ParseApplicationSet(data []byte, name string) (*ApplicationSet, error) {
	var doc appSetDoc
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrApplicationSet, name, err)
	}
	if doc.APIVersion != "argoproj.io/v1alpha1" || doc.Kind != "ApplicationSet" {
		return nil, fmt.Errorf("%w: %s: want apiVersion argoproj.io/v1alpha1, kind ApplicationSet; got %q, %q",
			ErrApplicationSet, name, doc.APIVersion, doc.Kind)
	}
	if !doc.Spec.GoTemplate {
		return nil, fmt.Errorf("%w: %s: spec.goTemplate must be true (fasttemplate rendering is not previewed)", ErrUnsupported, name)
	}
	if len(doc.Spec.Template) == 0 {
		return nil, fmt.Errorf("%w: %s: spec.template is empty", ErrApplicationSet, name)
	}
	for _, o := range doc.Spec.GoTemplateOptions {
		switch o {
		case "missingkey=default", "missingkey=invalid", "missingkey=zero", "missingkey=error":
		default:
			return nil, fmt.Errorf("%w: %s: spec.goTemplateOptions: unknown option %q", ErrApplicationSet, name, o)
		}
	}
	set := &ApplicationSet{
		Name:              doc.Metadata.Name,
		Namespace:         doc.Metadata.Namespace,
		GoTemplateOptions: doc.Spec.GoTemplateOptions,
		Template:          doc.Spec.Template,
	}
	if len(doc.Spec.Generators) == 0 {
		return nil, fmt.Errorf("%w: %s: spec.generators is empty", ErrApplicationSet, name)
	}
	for i, g := range doc.Spec.Generators {
		if g.Git == nil {
			return nil, fmt.Errorf("%w: %s: spec.generators[%d]: only git generators are previewed", ErrUnsupported, name, i)
		}
		if len(g.Git.Files) == 0 {
			return nil, fmt.Errorf("%w: %s: spec.generators[%d].git: only files generators are previewed", ErrUnsupported, name, i)
		}
		gen := GitFilesGenerator{RepoURL: g.Git.RepoURL, Revision: g.Git.Revision, Values: g.Git.Values}
		for j, f := range g.Git.Files {
			if f.Path == "" || strings.HasPrefix(f.Path, "/") {
				return nil, fmt.Errorf("%w: %s: spec.generators[%d].git.files[%d].path %q must be a relative glob", ErrApplicationSet, name, i, j, f.Path)
			}
			if f.Exclude {
				gen.Exclude = append(gen.Exclude, f.Path)
			} else {
				gen.Include = append(gen.Include, f.Path)
			}
		}
		set.Generators = append(set.Generators, gen)
	}
	return set, nil
}
