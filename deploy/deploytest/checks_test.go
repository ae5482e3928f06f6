package deploytest

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/centuria/centuria/libs/platform/service"
)

// values is a decoded values document.
type values map[string]any

// effectiveValues merges the chart's defaults with a values file.
func effectiveValues(t *testing.T, file string) values {
	t.Helper()
	root := repoRoot(t)
	read := func(p string) map[string]any {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return merge(read("deploy/charts/service/values.yaml"), read(file))
}

func merge(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// get reads a dotted path ("autoscaling.enabled").
func (v values) get(path string) any {
	var cur any = map[string]any(v)
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func (v values) bool(path string) bool { b, _ := v.get(path).(bool); return b }
func (v values) str(path string) string {
	s, _ := v.get(path).(string)
	return s
}
func (v values) int(path string) int32 {
	f, _ := v.get(path).(float64)
	return int32(f)
}

var digestRef = regexp.MustCompile(`^[a-z0-9][a-z0-9._:/-]*@sha256:[a-f0-9]{64}$`)

// TestManifestContract checks what every render must hold: the security
// context, probes on the chassis health endpoints, OpenTelemetry env, image
// by digest, selectors that agree, and the toggles (HPA, PDB, network
// policy, database, migrations, mesh) following the values.
func TestManifestContract(t *testing.T) {
	for _, r := range allRenders(t) {
		t.Run(r.name, func(t *testing.T) {
			o, err := decode(r.manifests)
			if err != nil {
				t.Fatal(err)
			}
			v := effectiveValues(t, r.values)
			checkWorkload(t, r.release, v, o)
			checkToggles(t, r.release, v, o)
			checkMesh(t, v, o)
			checkJobs(t, v, o)
		})
	}
}

func checkWorkload(t *testing.T, name string, v values, o *objects) {
	d := o.deployment
	if d.Name != name {
		t.Errorf("Deployment name %q, want the release name %q", d.Name, name)
	}
	pod := d.Spec.Template
	for k, want := range d.Spec.Selector.MatchLabels {
		if pod.Labels[k] != want {
			t.Errorf("pod label %s=%q does not match the selector's %q", k, pod.Labels[k], want)
		}
	}
	for k, want := range o.service.Spec.Selector {
		if pod.Labels[k] != want {
			t.Errorf("Service selector %s=%q does not match the pod's %q", k, want, pod.Labels[k])
		}
	}
	ps := pod.Spec.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser != 65532 ||
		ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want runAsNonRoot, uid 65532, seccomp RuntimeDefault", ps)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	checkContainerSecurity(t, c)
	if v.str("image.digest") != "" || !v.bool("image.allowTag") {
		if !digestRef.MatchString(c.Image) {
			t.Errorf("image %q is not repository@sha256:<digest>", c.Image)
		}
	} else if want := v.str("image.repository") + ":" + v.str("image.tag"); c.Image != want {
		t.Errorf("image %q, want the allowed tag %q", c.Image, want)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["http"] != v.int("ports.http") || ports["admin"] != v.int("ports.admin") {
		t.Errorf("container ports %v, want http %d and admin %d", ports, v.int("ports.http"), v.int("ports.admin"))
	}
	if o.service.Spec.Ports[0].TargetPort != intstr.FromString("http") {
		t.Errorf("Service targets %v, want the http port", o.service.Spec.Ports[0].TargetPort)
	}
	checkProbe(t, "liveness", c.LivenessProbe, v.str("probes.liveness.path"), "/healthz")
	checkProbe(t, "readiness", c.ReadinessProbe, v.str("probes.readiness.path"), "/readyz")
	checkProbe(t, "startup", c.StartupProbe, v.str("probes.startup.path"), "")
	env := envMap(c.Env)
	if v.bool("otel.enabled") {
		if env["OTEL_SERVICE_NAME"].Value != name {
			t.Errorf("OTEL_SERVICE_NAME %q, want %q", env["OTEL_SERVICE_NAME"].Value, name)
		}
		if env["OTEL_EXPORTER_OTLP_ENDPOINT"].Value != v.str("otel.endpoint") {
			t.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT %q, want %q", env["OTEL_EXPORTER_OTLP_ENDPOINT"].Value, v.str("otel.endpoint"))
		}
		attrs := env["OTEL_RESOURCE_ATTRIBUTES"].Value
		if !strings.Contains(attrs, "k8s.namespace.name=$(POD_NAMESPACE)") || !strings.Contains(attrs, "service.namespace=centuria") {
			t.Errorf("OTEL_RESOURCE_ATTRIBUTES %q lacks the namespace attributes", attrs)
		}
		if ra, _ := v.get("otel.resourceAttributes").(map[string]any); ra != nil {
			for k, val := range ra {
				if !strings.Contains(attrs, k+"="+val.(string)) {
					t.Errorf("OTEL_RESOURCE_ATTRIBUTES %q lacks %s=%v", attrs, k, val)
				}
			}
		}
		// $(POD_NAMESPACE) only expands when defined earlier.
		if indexOf(c.Env, "POD_NAMESPACE") > indexOf(c.Env, "OTEL_RESOURCE_ATTRIBUTES") {
			t.Error("POD_NAMESPACE is defined after OTEL_RESOURCE_ATTRIBUTES refers to it")
		}
	} else if env["OTEL_SDK_DISABLED"].Value != "true" {
		t.Error("OpenTelemetry disabled but OTEL_SDK_DISABLED is not true")
	}
	if v.bool("database.enabled") {
		ref := env["DATABASE_URL"].ValueFrom
		wantSecret := v.str("database.secretName")
		if wantSecret == "" {
			wantSecret = name + "-database"
		}
		if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != wantSecret || ref.SecretKeyRef.Key != v.str("database.secretKey") {
			t.Errorf("DATABASE_URL %+v, want a secretKeyRef to %s/%s", env["DATABASE_URL"], wantSecret, v.str("database.secretKey"))
		}
	} else if _, ok := env["DATABASE_URL"]; ok {
		t.Error("DATABASE_URL set while database is disabled")
	}
	// The service runtime accepts the shutdown settings, and the delay and
	// the drain fit in the grace period before the kubelet kills the pod.
	cfg, err := service.ConfigFromEnv(name, func(k string) (string, bool) {
		e, ok := env[k]
		return e.Value, ok && e.ValueFrom == nil
	})
	if err != nil {
		t.Errorf("the service runtime rejects the rendered environment: %v", err)
	} else if grace := time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second; cfg.ShutdownDelay+cfg.ShutdownTimeout >= grace {
		t.Errorf("SHUTDOWN_DELAY %v + SHUTDOWN_TIMEOUT %v do not fit in terminationGracePeriodSeconds (%v)", cfg.ShutdownDelay, cfg.ShutdownTimeout, grace)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want a CPU request and a memory limit", c.Resources)
	}
	if !hasMount(c, "/tmp") {
		t.Error("no writable /tmp mount for a read-only root file system")
	}
	if content := v.str("config.content"); content != "" {
		if o.configMap == nil || o.configMap.Data[v.str("config.fileName")] != content {
			t.Error("config.content is not the ConfigMap's file")
		}
		if !hasMount(c, v.str("config.mountPath")) {
			t.Errorf("config not mounted at %s", v.str("config.mountPath"))
		}
	} else if o.configMap != nil {
		t.Error("ConfigMap rendered without config.content")
	}
}

func checkContainerSecurity(t *testing.T, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("container %s securityContext %+v: want nonroot 65532, read-only root, no privilege escalation, drop ALL, seccomp RuntimeDefault", c.Name, sc)
	}
}

func checkProbe(t *testing.T, kind string, p *corev1.Probe, path, want string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s probe missing or not HTTP", kind)
		return
	}
	if p.HTTPGet.Port != intstr.FromString("admin") || p.HTTPGet.Path != path || (want != "" && path != want) {
		t.Errorf("%s probe %s on %v, want %s on the admin port", kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
}

func envMap(env []corev1.EnvVar) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range env {
		m[e.Name] = e
	}
	return m
}

func indexOf(env []corev1.EnvVar, name string) int {
	for i, e := range env {
		if e.Name == name {
			return i
		}
	}
	return -1
}

func hasMount(c corev1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

func checkToggles(t *testing.T, name string, v values, o *objects) {
	d := o.deployment
	if v.bool("autoscaling.enabled") {
		if o.hpa == nil {
			t.Fatal("autoscaling enabled but no HorizontalPodAutoscaler")
		}
		if d.Spec.Replicas != nil {
			t.Error("Deployment sets replicas while the HPA owns them (self-heal would fight the HPA)")
		}
		ref := o.hpa.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			t.Errorf("HPA targets %+v, want Deployment %s", ref, d.Name)
		}
		if *o.hpa.Spec.MinReplicas != v.int("autoscaling.minReplicas") || o.hpa.Spec.MaxReplicas != v.int("autoscaling.maxReplicas") {
			t.Errorf("HPA %d..%d, want %d..%d", *o.hpa.Spec.MinReplicas, o.hpa.Spec.MaxReplicas, v.int("autoscaling.minReplicas"), v.int("autoscaling.maxReplicas"))
		}
	} else {
		if o.hpa != nil {
			t.Error("HorizontalPodAutoscaler rendered with autoscaling disabled")
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != v.int("replicas") {
			t.Errorf("Deployment replicas %v, want %d", d.Spec.Replicas, v.int("replicas"))
		}
	}
	if v.bool("pdb.enabled") != (o.pdb != nil) {
		t.Errorf("pdb.enabled=%v but PodDisruptionBudget rendered=%v", v.bool("pdb.enabled"), o.pdb != nil)
	} else if o.pdb != nil && !sameLabels(o.pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Error("PodDisruptionBudget selector differs from the Deployment's")
	}
	if v.bool("serviceAccount.create") != (o.serviceAccount != nil) {
		t.Errorf("serviceAccount.create=%v but ServiceAccount rendered=%v", v.bool("serviceAccount.create"), o.serviceAccount != nil)
	}
	if o.serviceAccount != nil && d.Spec.Template.Spec.ServiceAccountName != o.serviceAccount.Name {
		t.Errorf("pods use service account %q, want %q", d.Spec.Template.Spec.ServiceAccountName, o.serviceAccount.Name)
	}
	np := o.networkPolicy
	if v.bool("networkPolicy.enabled") != (np != nil) {
		t.Fatalf("networkPolicy.enabled=%v but NetworkPolicy rendered=%v", v.bool("networkPolicy.enabled"), np != nil)
	}
	if np != nil {
		if !sameLabels(np.Spec.PodSelector.MatchLabels, d.Spec.Selector.MatchLabels) {
			t.Error("NetworkPolicy selects other pods than the Deployment's")
		}
		open := false
		for _, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				if p.Port != nil && *p.Port == intstr.FromString("http") && len(rule.From) == 0 {
					open = true
				}
			}
		}
		if open != v.bool("networkPolicy.fromAnywhere") {
			t.Errorf("HTTP port open to all sources=%v, want networkPolicy.fromAnywhere=%v", open, v.bool("networkPolicy.fromAnywhere"))
		}
	}
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func checkMesh(t *testing.T, v values, o *objects) {
	pod := o.deployment.Spec.Template
	mesh := v.str("mesh")
	linkerd := pod.Annotations["linkerd.io/inject"]
	istio := pod.Labels["sidecar.istio.io/inject"]
	switch mesh {
	case "linkerd":
		if linkerd != "enabled" {
			t.Errorf("mesh linkerd: linkerd.io/inject=%q, want enabled", linkerd)
		}
		policy := pod.Annotations["config.linkerd.io/default-inbound-policy"]
		if want := map[bool]string{false: "all-authenticated", true: "all-unauthenticated"}[v.bool("edge")]; policy != want {
			t.Errorf("linkerd default-inbound-policy %q, want %q", policy, want)
		}
	case "istio":
		if istio != "true" {
			t.Errorf("mesh istio: sidecar.istio.io/inject=%q, want \"true\"", istio)
		}
	default:
		if linkerd != "" || istio != "" {
			t.Errorf("mesh %q but pods carry mesh injection (%q, %q)", mesh, linkerd, istio)
		}
	}
	if (mesh == "istio") != (len(o.peerAuthentications) == 1) {
		t.Fatalf("mesh %q with %d PeerAuthentications", mesh, len(o.peerAuthentications))
	}
	if mesh != "istio" {
		return
	}
	pa := o.peerAuthentications[0]
	if pa.GetAPIVersion() != "security.istio.io/v1" || pa.GetName() != o.deployment.Name {
		t.Errorf("PeerAuthentication %s %s", pa.GetAPIVersion(), pa.GetName())
	}
	mode, _, _ := unstructured.NestedString(pa.Object, "spec", "mtls", "mode")
	if mode != "STRICT" {
		t.Errorf("PeerAuthentication mtls.mode %q, want STRICT", mode)
	}
	sel, _, err := unstructured.NestedStringMap(pa.Object, "spec", "selector", "matchLabels")
	if err != nil || !sameLabels(sel, o.deployment.Spec.Selector.MatchLabels) {
		t.Errorf("PeerAuthentication selector %v (%v), want the Deployment's", sel, err)
	}
	ports, found, _ := unstructured.NestedMap(pa.Object, "spec", "portLevelMtls")
	if v.bool("edge") {
		port := strconv.Itoa(int(v.int("ports.http")))
		pm, _ := ports[port].(map[string]any)
		if pm == nil || pm["mode"] != "PERMISSIVE" {
			t.Errorf("edge service: portLevelMtls %v, want %s PERMISSIVE", ports, port)
		}
		if len(ports) != 1 {
			t.Errorf("edge service: portLevelMtls %v relaxes more than the HTTP port", ports)
		}
	} else if found {
		t.Errorf("portLevelMtls %v on a non-edge service", ports)
	}
	for k := range pa.Object {
		if k != "apiVersion" && k != "kind" && k != "metadata" && k != "spec" {
			t.Errorf("PeerAuthentication has unexpected top-level field %q", k)
		}
	}
}

// checkJobs: the migrations job exists exactly when enabled, runs the same
// image locked down the same way, and never gets a mesh sidecar.
func checkJobs(t *testing.T, v values, o *objects) {
	if v.bool("migrations.enabled") != (len(o.jobs) == 1) {
		t.Fatalf("migrations.enabled=%v with %d Jobs", v.bool("migrations.enabled"), len(o.jobs))
	}
	for _, j := range o.jobs {
		pod := j.Spec.Template
		if pod.Annotations["linkerd.io/inject"] != "disabled" || pod.Labels["sidecar.istio.io/inject"] != "false" {
			t.Errorf("Job %s pods may get a sidecar: annotations %v labels %v", j.Name, pod.Annotations, pod.Labels)
		}
		if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("Job restartPolicy %q", pod.Spec.RestartPolicy)
		}
		c := pod.Spec.Containers[0]
		if c.Image != o.deployment.Spec.Template.Spec.Containers[0].Image {
			t.Errorf("Job image %q differs from the Deployment's", c.Image)
		}
		checkContainerSecurity(t, c)
		if v.bool("database.enabled") && envMap(c.Env)["DATABASE_URL"].ValueFrom == nil {
			t.Error("migrations job has no DATABASE_URL")
		}
		if j.Annotations["argocd.argoproj.io/hook"] != "Sync" || j.Annotations["argocd.argoproj.io/hook-delete-policy"] != "BeforeHookCreation" {
			t.Errorf("Job annotations %v: want an ArgoCD Sync hook replaced before each sync", j.Annotations)
		}
		if j.Spec.Selector != nil { // the API server generates it
			t.Error("Job sets spec.selector")
		}
		if sameLabels(o.deployment.Spec.Selector.MatchLabels, filter(pod.Labels, o.deployment.Spec.Selector.MatchLabels)) {
			t.Error("Job pods match the Deployment's selector (Service and PDB would count them)")
		}
	}
}

// filter keeps the keys of m that are in keys.
func filter(m, keys map[string]string) map[string]string {
	out := map[string]string{}
	for k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}
