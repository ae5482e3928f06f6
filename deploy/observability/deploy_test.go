package observability

import (
	"bytes"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/modfile"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// strictYAML decodes a YAML file into v, failing on unknown keys with the
// file and line.
func strictYAML(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// compose is the subset of the Compose file format docker-compose.yaml may
// use; anything else is an error, so a typo cannot pass unnoticed.
type compose struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]struct{}       `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Environment map[string]string `yaml:"environment"`
	Restart     string            `yaml:"restart"`
}

// provisioning is Grafana's dashboard provisioning file.
type provisioning struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		Folder                string `yaml:"folder"`
		Type                  string `yaml:"type"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

var pinnedTag = regexp.MustCompile(`^[^:@]+:\d+\.\d+\.\d+$`)

func TestComposeLGTM(t *testing.T) {
	var c compose
	strictYAML(t, "docker-compose.yaml", &c)
	lgtm, ok := c.Services["lgtm"]
	if !ok || len(c.Services) != 1 {
		t.Fatalf("docker-compose.yaml: want exactly one service, lgtm; have %v", slices.Collect(maps.Keys(c.Services)))
	}
	if !strings.HasPrefix(lgtm.Image, "grafana/otel-lgtm:") || !pinnedTag.MatchString(lgtm.Image) {
		t.Errorf("lgtm image %q: want grafana/otel-lgtm pinned to a release tag", lgtm.Image)
	}

	// The services reach it on localhost: Grafana and both OTLP ports,
	// bound to the loopback interface only (Grafana runs as anonymous admin).
	published := map[string]string{}
	for _, p := range lgtm.Ports {
		parts := strings.Split(p, ":")
		if len(parts) != 3 || net.ParseIP(parts[0]) == nil || !net.ParseIP(parts[0]).IsLoopback() {
			t.Errorf("port %q: want 127.0.0.1:HOST:CONTAINER", p)
			continue
		}
		published[parts[2]] = parts[1]
	}
	for _, port := range []string{"3000", "4317", "4318"} {
		if published[port] != port {
			t.Errorf("container port %s published as %q, want the same port on the host", port, published[port])
		}
	}

	// Every bind mount names a file or directory of this directory; named
	// volumes are declared.
	mounts := map[string]string{} // container path -> source
	for _, v := range lgtm.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 {
			t.Errorf("volume %q: want SOURCE:TARGET[:ro]", v)
			continue
		}
		src, dst := parts[0], parts[1]
		mounts[dst] = src
		if !strings.HasPrefix(src, "./") {
			if _, ok := c.Volumes[src]; !ok {
				t.Errorf("volume %q: named volume %s is not declared", v, src)
			}
			continue
		}
		if len(parts) != 3 || parts[2] != "ro" {
			t.Errorf("bind mount %q should be read-only", v)
		}
		if _, err := os.Stat(filepath.FromSlash(src)); err != nil {
			t.Errorf("bind mount %q: %v", v, err)
		}
	}

	// The provisioning file is mounted into Grafana's provisioning
	// directory and points at the mounted dashboards directory.
	const provDir = "/otel-lgtm/grafana/conf/provisioning/dashboards/"
	var provFile string
	for dst, src := range mounts {
		if strings.HasPrefix(dst, provDir) && strings.HasSuffix(dst, ".yaml") {
			provFile = src
		}
	}
	if provFile == "" {
		t.Fatalf("no provisioning file mounted under %s", provDir)
	}
	var prov provisioning
	strictYAML(t, provFile, &prov)
	if prov.APIVersion != 1 || len(prov.Providers) != 1 || prov.Providers[0].Type != "file" {
		t.Fatalf("%s: want apiVersion 1 and one file provider: %+v", provFile, prov)
	}
	dashDir := prov.Providers[0].Options.Path
	src, ok := mounts[dashDir]
	if !ok {
		t.Fatalf("%s: provider path %s is not a mount in docker-compose.yaml", provFile, dashDir)
	}
	if filepath.Clean(src) != "dashboards" {
		t.Errorf("%s is mounted from %s, want ./dashboards", dashDir, src)
	}
	if _, err := LoadDashboards(os.DirFS(src)); err != nil {
		t.Errorf("mounted dashboards: %v", err)
	}
}

// kustomization is the subset of a Kustomization the deployment uses.
type kustomization struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Namespace  string `yaml:"namespace"`
	Labels     []struct {
		Pairs map[string]string `yaml:"pairs"`
	} `yaml:"labels"`
	Resources          []string `yaml:"resources"`
	ConfigMapGenerator []struct {
		Name    string   `yaml:"name"`
		Files   []string `yaml:"files"`
		Options struct {
			DisableNameSuffixHash bool              `yaml:"disableNameSuffixHash"`
			Labels                map[string]string `yaml:"labels"`
			Annotations           map[string]string `yaml:"annotations"`
		} `yaml:"options"`
	} `yaml:"configMapGenerator"`
}

// collectorManifests decodes kubernetes/collector.yaml strictly into the
// Kubernetes API types.
type collectorManifests struct {
	sa  *corev1.ServiceAccount
	dep *appsv1.Deployment
	svc *corev1.Service
	pdb *policyv1.PodDisruptionBudget
}

func decodeManifests(t *testing.T, file string) collectorManifests {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m collectorManifests
	for i, doc := range strings.Split(string(data), "\n---\n") {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := sigsyaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("%s document %d: %v", file, i+1, err)
		}
		var target any
		switch head.APIVersion + "/" + head.Kind {
		case "v1/ServiceAccount":
			m.sa = &corev1.ServiceAccount{}
			target = m.sa
		case "apps/v1/Deployment":
			m.dep = &appsv1.Deployment{}
			target = m.dep
		case "v1/Service":
			m.svc = &corev1.Service{}
			target = m.svc
		case "policy/v1/PodDisruptionBudget":
			m.pdb = &policyv1.PodDisruptionBudget{}
			target = m.pdb
		default:
			t.Fatalf("%s document %d: unexpected %s/%s", file, i+1, head.APIVersion, head.Kind)
		}
		if err := sigsyaml.UnmarshalStrict([]byte(doc), target); err != nil {
			t.Fatalf("%s document %d (%s): %v", file, i+1, head.Kind, err)
		}
	}
	if m.sa == nil || m.dep == nil || m.svc == nil || m.pdb == nil {
		t.Fatalf("%s: want a ServiceAccount, Deployment, Service and PodDisruptionBudget", file)
	}
	return m
}

func TestKubernetesCollector(t *testing.T) {
	unsetCollectorEnv(t)
	var k kustomization
	strictYAML(t, "kustomization.yaml", &k)
	if k.Kind != "Kustomization" || k.Namespace == "" {
		t.Errorf("kustomization.yaml: kind %q namespace %q", k.Kind, k.Namespace)
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.FromSlash(r)); err != nil {
			t.Errorf("kustomization.yaml resource: %v", err)
		}
	}
	generated := map[string][]string{}
	var cmName string
	for _, g := range k.ConfigMapGenerator {
		generated[g.Name] = g.Files
		if slices.Equal(g.Files, []string{"config.yaml=" + collectorConfig}) {
			cmName = g.Name
		}
		if g.Name == "centuria-dashboards" && g.Options.Labels["grafana_dashboard"] != "1" {
			t.Errorf("kustomization.yaml: %s lacks the grafana_dashboard: \"1\" label the Grafana sidecar looks for", g.Name)
		}
	}
	if cmName == "" {
		t.Fatalf("kustomization.yaml: no configMapGenerator with config.yaml=%s: %+v", collectorConfig, k.ConfigMapGenerator)
	}
	// Every dashboard, and nothing else, goes into the dashboards ConfigMap.
	ds, err := LoadDashboards(Dashboards())
	if err != nil {
		t.Fatal(err)
	}
	var wantFiles []string
	for _, d := range ds {
		wantFiles = append(wantFiles, "dashboards/"+d.File)
	}
	slices.Sort(wantFiles)
	if got := slices.Sorted(slices.Values(generated["centuria-dashboards"])); !slices.Equal(got, wantFiles) {
		t.Errorf("kustomization.yaml: centuria-dashboards files = %v, want %v", got, wantFiles)
	}

	m := decodeManifests(t, "kubernetes/collector.yaml")
	pod := m.dep.Spec.Template
	for _, sel := range []map[string]string{m.svc.Spec.Selector, m.pdb.Spec.Selector.MatchLabels, m.dep.Spec.Selector.MatchLabels} {
		for k, v := range sel {
			if pod.Labels[k] != v {
				t.Errorf("selector %v does not match the pod labels %v", sel, pod.Labels)
			}
		}
	}
	if pod.Spec.ServiceAccountName != m.sa.Name {
		t.Errorf("pod service account %q, want %q", pod.Spec.ServiceAccountName, m.sa.Name)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one container, have %d", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	// The image is the collector release whose components the config
	// tests load.
	if want := "otel/opentelemetry-collector-contrib:" + strings.TrimPrefix(moduleVersion(t, "go.opentelemetry.io/collector/otelcol"), "v"); c.Image != want {
		t.Errorf("collector image %q, want %q (the release the config is validated with)", c.Image, want)
	}

	// The config file the container reads is the generated ConfigMap.
	var cfgPath string
	for _, a := range c.Args {
		if p, ok := strings.CutPrefix(a, "--config="); ok {
			cfgPath = p
		}
	}
	mounted := false
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Spec.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == cmName && cfgPath == vm.MountPath+"/config.yaml" {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("container args %v: want --config=<mount>/config.yaml of a volume from ConfigMap %s", c.Args, cmName)
	}

	// Every variable set is one the config reads.
	for _, e := range c.Env {
		if !slices.Contains(collectorEnv, e.Name) {
			t.Errorf("env %s is not read by %s", e.Name, collectorConfig)
		}
	}

	// Ports: the container ports are the ones the config listens on, the
	// probes use the health_check extension, the Service targets
	// declared ports.
	cfg, err := otelcoltest.LoadConfigAndValidate(collectorConfig, factories(t))
	if err != nil {
		t.Fatal(err)
	}
	recv := cfg.Receivers[component.MustNewID("otlp")].(*otlpreceiver.Config)
	health := cfg.Extensions[component.MustNewID("health_check")].(*healthcheckextension.Config)
	want := map[string]int32{
		"otlp-grpc": port(t, recv.Protocols.GRPC.Get().NetAddr.Endpoint),
		"otlp-http": port(t, recv.Protocols.HTTP.Get().ServerConfig.NetAddr.Endpoint),
		"health":    port(t, health.Config.ServerConfig.NetAddr.Endpoint),
		"metrics":   8888,
	}
	have := map[string]int32{}
	for _, p := range c.Ports {
		have[p.Name] = p.ContainerPort
	}
	for name, p := range want {
		if have[name] != p {
			t.Errorf("container port %s = %d, want %d", name, have[name], p)
		}
	}
	for _, probe := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Port.String() != "health" || probe.HTTPGet.Path != health.Config.Path {
			t.Errorf("probe %+v: want an HTTP GET of %s on the health port", probe, health.Config.Path)
		}
	}
	for _, sp := range m.svc.Spec.Ports {
		if _, ok := have[sp.TargetPort.String()]; !ok {
			t.Errorf("service port %s targets %s, which the container does not declare", sp.Name, sp.TargetPort.String())
		}
	}

	// The service chart's default OTLP endpoint is this Service.
	var chart struct {
		OTel struct {
			Endpoint string `json:"endpoint"`
		} `json:"otel"`
	}
	values, err := os.ReadFile(chartValues)
	if err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.Unmarshal(values, &chart); err != nil {
		t.Fatalf("%s: %v", chartValues, err)
	}
	var grpcPort int32
	for _, sp := range m.svc.Spec.Ports {
		if sp.TargetPort.String() == "otlp-grpc" {
			grpcPort = sp.Port
		}
	}
	if want := fmt.Sprintf("http://%s.%s.svc:%d", m.svc.Name, k.Namespace, grpcPort); chart.OTel.Endpoint != want {
		t.Errorf("%s otel.endpoint = %q, but the collector Service is %s", chartValues, chart.OTel.Endpoint, want)
	}

	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container: want a read-only root filesystem and no privilege escalation")
	}
	if c.Resources.Limits.Memory().IsZero() {
		t.Error("container: want a memory limit (memory_limiter's limit_percentage is relative to it)")
	}
}

const chartValues = "../charts/service/values.yaml"

func port(t *testing.T, endpoint string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(endpoint)
	if err != nil {
		t.Fatalf("endpoint %q: %v", endpoint, err)
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		t.Fatalf("endpoint %q: %v", endpoint, err)
	}
	return int32(n)
}

// moduleVersion is the version of a module that the repository's go.mod
// requires.
func moduleVersion(t *testing.T, path string) string {
	t.Helper()
	const gomod = "../../go.mod"
	data, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.ParseLax(gomod, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Require {
		if r.Mod.Path == path {
			return r.Mod.Version
		}
	}
	t.Fatalf("%s does not require %s", gomod, path)
	return ""
}
