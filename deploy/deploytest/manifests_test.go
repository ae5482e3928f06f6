package deploytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// readObjects decodes every document of a YAML stream into unstructured
// objects.
func readObjects(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for i, doc := range strings.Split(string(data), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.UnmarshalStrict([]byte(doc), &u.Object); err != nil {
			t.Fatalf("%s document %d: %v", file, i, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			t.Fatalf("%s document %d lacks apiVersion, kind or name", file, i)
		}
		out = append(out, u)
	}
	return out
}

func str(t *testing.T, u *unstructured.Unstructured, fields ...string) string {
	t.Helper()
	s, found, err := unstructured.NestedString(u.Object, fields...)
	if err != nil || !found {
		t.Errorf("%s %s: %s missing (%v)", u.GetKind(), u.GetName(), strings.Join(fields, "."), err)
	}
	return s
}

func TestApplicationSetAndProject(t *testing.T) {
	set := readObjects(t, "deploy/argocd/applicationset.yaml")[0]
	proj := readObjects(t, "deploy/argocd/appproject.yaml")[0]
	if set.GetAPIVersion() != "argoproj.io/v1alpha1" || set.GetKind() != "ApplicationSet" {
		t.Fatalf("applicationset.yaml holds %s %s", set.GetAPIVersion(), set.GetKind())
	}
	if gt, _, _ := unstructured.NestedBool(set.Object, "spec", "goTemplate"); !gt {
		t.Error("spec.goTemplate is not true")
	}
	gens, _, _ := unstructured.NestedSlice(set.Object, "spec", "generators")
	if len(gens) != 1 {
		t.Fatalf("%d generators, want 1", len(gens))
	}
	git := gens[0].(map[string]any)["git"].(map[string]any)
	files := git["files"].([]any)
	if len(files) != 1 || files[0].(map[string]any)["path"] != "apps/*/deploy/values.yaml" {
		t.Errorf("git files %v, want apps/*/deploy/values.yaml", files)
	}
	repo := git["repoURL"].(string)
	for _, f := range [][]string{{"spec", "template", "spec", "syncPolicy", "automated", "prune"}, {"spec", "template", "spec", "syncPolicy", "automated", "selfHeal"}} {
		if b, _, _ := unstructured.NestedBool(set.Object, f...); !b {
			t.Errorf("%s is not true", strings.Join(f, "."))
		}
	}
	if name := str(t, set, "spec", "template", "metadata", "name"); !strings.Contains(name, "index .path.segments 1") {
		t.Errorf("Application name %q does not use path.segments[1] (path.basename is always \"deploy\")", name)
	}
	chart := str(t, set, "spec", "template", "spec", "source", "path")
	if _, err := os.Stat(filepath.Join(repoRoot(t), chart, "Chart.yaml")); err != nil {
		t.Errorf("source path %q is not a chart: %v", chart, err)
	}
	if src := str(t, set, "spec", "template", "spec", "source", "repoURL"); src != repo {
		t.Errorf("source repoURL %q differs from the generator's %q", src, repo)
	}
	vf, _, _ := unstructured.NestedStringSlice(set.Object, "spec", "template", "spec", "source", "helm", "valueFiles")
	if len(vf) != 1 || !strings.Contains(vf[0], ".path.path") {
		t.Errorf("valueFiles %v do not point at the app's values", vf)
	}

	if proj.GetKind() != "AppProject" || proj.GetName() != str(t, set, "spec", "template", "spec", "project") {
		t.Errorf("Applications use project %q, AppProject is %q", str(t, set, "spec", "template", "spec", "project"), proj.GetName())
	}
	repos, _, _ := unstructured.NestedStringSlice(proj.Object, "spec", "sourceRepos")
	if len(repos) != 1 || repos[0] != repo {
		t.Errorf("AppProject sourceRepos %v, want only %s", repos, repo)
	}
	// Every kind the chart can render must be allowed by the project, or
	// ArgoCD refuses to sync it.
	allowed := map[string]bool{}
	wl, _, _ := unstructured.NestedSlice(proj.Object, "spec", "namespaceResourceWhitelist")
	for _, e := range wl {
		m := e.(map[string]any)
		allowed[m["group"].(string)+"/"+m["kind"].(string)] = true
	}
	for _, r := range allRenders(t) {
		for _, m := range r.manifests {
			group := ""
			if i := strings.LastIndex(m.APIVersion, "/"); i >= 0 {
				group = m.APIVersion[:i]
			}
			if !allowed[group+"/"+m.Kind] {
				t.Errorf("%s renders %s %s, which the AppProject does not allow", r.name, m.APIVersion, m.Kind)
			}
		}
	}
}

// TestMeshSettings checks the Istio and Linkerd settings field by field and
// that their selectors pick the chart's pods.
func TestMeshSettings(t *testing.T) {
	pa := readObjects(t, "deploy/mesh/istio/peerauthentication.yaml")
	if len(pa) != 1 || pa[0].GetNamespace() != "istio-system" || str(t, pa[0], "spec", "mtls", "mode") != "STRICT" {
		t.Errorf("mesh-wide PeerAuthentication must be STRICT in istio-system: %v", pa)
	}
	if _, found, _ := unstructured.NestedMap(pa[0].Object, "spec", "selector"); found {
		t.Error("mesh-wide PeerAuthentication has a selector")
	}
	policies := readObjects(t, "deploy/mesh/istio/authorizationpolicy.yaml")
	byName := map[string]*unstructured.Unstructured{}
	for _, p := range policies {
		if p.GetAPIVersion() != "security.istio.io/v1" || p.GetKind() != "AuthorizationPolicy" {
			t.Errorf("%s: %s %s", p.GetName(), p.GetAPIVersion(), p.GetKind())
		}
		if a, found, _ := unstructured.NestedString(p.Object, "spec", "action"); found && a != "ALLOW" {
			t.Errorf("%s: action %s; only ALLOW rules on top of the default deny", p.GetName(), a)
		}
		byName[p.GetName()] = p
	}
	deny := byName["deny-by-default"]
	if deny == nil || deny.GetNamespace() != "istio-system" {
		t.Fatal("no deny-by-default policy in the root namespace")
	}
	if spec, _, _ := unstructured.NestedMap(deny.Object, "spec"); len(spec) != 0 {
		t.Errorf("deny-by-default spec %v, want {} (ALLOW nothing)", spec)
	}
	// The allow rules for all services must select every rendered pod.
	renders := allRenders(t)
	for _, name := range []string{"allow-gateway-to-services", "allow-metrics-scraping"} {
		p := byName[name]
		if p == nil {
			t.Errorf("policy %s missing", name)
			continue
		}
		sel, _, _ := unstructured.NestedStringMap(p.Object, "spec", "selector", "matchLabels")
		rules, _, _ := unstructured.NestedSlice(p.Object, "spec", "rules")
		if len(sel) == 0 || len(rules) == 0 {
			t.Errorf("%s: selector %v, %d rules", name, sel, len(rules))
		}
		for _, r := range renders {
			o, err := decode(r.manifests)
			if err != nil {
				t.Fatal(err)
			}
			if !labels.SelectorFromSet(sel).Matches(labels.Set(o.deployment.Spec.Template.Labels)) {
				t.Errorf("%s does not select the pods of %s (labels %v)", name, r.name, o.deployment.Spec.Template.Labels)
			}
		}
	}

	linkerd := readObjects(t, "deploy/mesh/linkerd/authorization.yaml")
	kinds := map[string]*unstructured.Unstructured{}
	for _, o := range linkerd {
		kinds[o.GetKind()] = o
	}
	server, authn, authz := kinds["Server"], kinds["MeshTLSAuthentication"], kinds["AuthorizationPolicy"]
	if server == nil || authn == nil || authz == nil {
		t.Fatalf("linkerd policy needs a Server, a MeshTLSAuthentication and an AuthorizationPolicy: %v", kinds)
	}
	if str(t, server, "spec", "port") != "http" {
		t.Error("linkerd Server does not name the chart's http port")
	}
	if str(t, authz, "spec", "targetRef", "name") != server.GetName() {
		t.Error("linkerd AuthorizationPolicy does not target the Server")
	}
	refs, _, _ := unstructured.NestedSlice(authz.Object, "spec", "requiredAuthenticationRefs")
	if len(refs) != 1 || refs[0].(map[string]any)["name"] != authn.GetName() {
		t.Errorf("linkerd AuthorizationPolicy refs %v, want the MeshTLSAuthentication", refs)
	}
	ids, _, _ := unstructured.NestedStringSlice(authn.Object, "spec", "identities")
	if len(ids) == 0 {
		t.Error("MeshTLSAuthentication without identities")
	}
}

// runnerValues is the part of the gha-runner-scale-set chart's values this
// repository sets; strict decoding rejects anything else, and the pod
// template decodes into the real PodTemplateSpec.
type runnerValues struct {
	GithubConfigURL          string `json:"githubConfigUrl"`
	GithubConfigSecret       string `json:"githubConfigSecret"`
	RunnerScaleSetName       string `json:"runnerScaleSetName"`
	RunnerGroup              string `json:"runnerGroup"`
	MinRunners               *int   `json:"minRunners"`
	MaxRunners               *int   `json:"maxRunners"`
	ControllerServiceAccount struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"controllerServiceAccount"`
	Template corev1.PodTemplateSpec `json:"template"`
}

func TestRunnerScaleSetValues(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "ci-runners", "runner-scale-set.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v runnerValues
	if err := yaml.UnmarshalStrict(data, &v); err != nil {
		t.Fatal(err)
	}
	if v.MinRunners == nil || *v.MinRunners != 0 {
		t.Errorf("minRunners %v, want 0 (scale to zero)", v.MinRunners)
	}
	if v.MaxRunners == nil || *v.MaxRunners < 1 || *v.MaxRunners > 256 {
		t.Errorf("maxRunners %v, want 1..256", v.MaxRunners)
	}
	if !strings.HasPrefix(v.GithubConfigURL, "https://") || v.GithubConfigSecret == "" || v.RunnerScaleSetName == "" {
		t.Errorf("config URL %q, secret %q, scale set %q", v.GithubConfigURL, v.GithubConfigSecret, v.RunnerScaleSetName)
	}
	spec := v.Template.Spec
	if len(spec.Containers) != 1 || spec.Containers[0].Name != "runner" {
		t.Fatalf("containers %v, want the single runner container", spec.Containers)
	}
	c := spec.Containers[0]
	if len(c.Command) != 1 || c.Command[0] != "/home/runner/run.sh" {
		t.Errorf("runner command %v", c.Command)
	}
	if c.SecurityContext == nil || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation ||
		(c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged) {
		t.Error("runner may escalate privileges")
	}
	if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
		t.Error("runner pods may run as root")
	}
	for _, vol := range spec.Volumes {
		if vol.EmptyDir == nil {
			t.Errorf("volume %s outlives the pod: runners must be ephemeral", vol.Name)
		}
		if vol.HostPath != nil {
			t.Errorf("volume %s mounts the host", vol.Name)
		}
	}
}
