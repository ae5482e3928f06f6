package observability

import (
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestKustomizeBuild renders the kustomization as `kubectl apply -k`
// would and checks the result: everything in one namespace, the collector
// ConfigMap holding otelcol/config.yaml byte for byte under a hashed name
// that the Deployment mounts, and the dashboards ConfigMap holding every
// dashboard.
func TestKustomizeBuild(t *testing.T) {
	var k kustomization
	strictYAML(t, "kustomization.yaml", &k)
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), ".")
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	configMaps := map[string]*corev1.ConfigMap{}
	var dep *appsv1.Deployment
	var kinds []string
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, r.GetKind())
		if ns := r.GetNamespace(); ns != k.Namespace {
			t.Errorf("%s %s: namespace %q, want %q", r.GetKind(), r.GetName(), ns, k.Namespace)
		}
		if r.GetLabels()["app.kubernetes.io/part-of"] != "centuria" {
			t.Errorf("%s %s: no app.kubernetes.io/part-of label", r.GetKind(), r.GetName())
		}
		switch r.GetKind() {
		case "ConfigMap":
			cm := &corev1.ConfigMap{}
			if err := sigsyaml.UnmarshalStrict(y, cm); err != nil {
				t.Fatalf("ConfigMap %s: %v", r.GetName(), err)
			}
			configMaps[cm.Name] = cm
		case "Deployment":
			dep = &appsv1.Deployment{}
			if err := sigsyaml.UnmarshalStrict(y, dep); err != nil {
				t.Fatalf("Deployment: %v", err)
			}
		}
	}
	slices.Sort(kinds)
	if want := []string{"ConfigMap", "ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"}; !slices.Equal(kinds, want) {
		t.Errorf("rendered kinds %v, want %v", kinds, want)
	}
	if dep == nil {
		t.Fatal("no Deployment rendered")
	}

	config, err := os.ReadFile(collectorConfig)
	if err != nil {
		t.Fatal(err)
	}
	var mounted *corev1.ConfigMap
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			mounted = configMaps[v.ConfigMap.Name]
			if mounted == nil {
				t.Fatalf("Deployment mounts ConfigMap %s, which is not rendered", v.ConfigMap.Name)
			}
		}
	}
	if mounted == nil || !strings.HasPrefix(mounted.Name, "otelcol-config-") {
		t.Fatalf("Deployment does not mount the hashed otelcol-config ConfigMap: %+v", dep.Spec.Template.Spec.Volumes)
	}
	if mounted.Data["config.yaml"] != string(config) {
		t.Errorf("ConfigMap %s config.yaml differs from %s", mounted.Name, collectorConfig)
	}

	dash := configMaps["centuria-dashboards"]
	if dash == nil {
		t.Fatal("no centuria-dashboards ConfigMap (its name must not be hashed: the sidecar would keep stale copies)")
	}
	ds, err := LoadDashboards(Dashboards())
	if err != nil {
		t.Fatal(err)
	}
	if len(dash.Data) != len(ds) {
		t.Errorf("centuria-dashboards has %d files, want %d", len(dash.Data), len(ds))
	}
	for _, d := range ds {
		want, err := os.ReadFile(path.Join("dashboards", d.File))
		if err != nil {
			t.Fatal(err)
		}
		if dash.Data[d.File] != string(want) {
			t.Errorf("centuria-dashboards %s differs from dashboards/%s", d.File, d.File)
		}
	}
}
