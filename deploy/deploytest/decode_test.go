package deploytest

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// objects are one release's manifests decoded into API types.
type objects struct {
	deployment          *appsv1.Deployment
	service             *corev1.Service
	serviceAccount      *corev1.ServiceAccount
	configMap           *corev1.ConfigMap
	hpa                 *autoscalingv2.HorizontalPodAutoscaler
	pdb                 *policyv1.PodDisruptionBudget
	networkPolicy       *networkingv1.NetworkPolicy
	jobs                []*batchv1.Job
	peerAuthentications []*unstructured.Unstructured
}

// decode decodes every manifest strictly (unknown or duplicate fields are
// errors) into its Kubernetes API type; Istio kinds, which have no Go types
// here, decode into unstructured objects that the checks read field by
// field. An unexpected kind, or a kind rendered twice, is an error.
func decode(ms []manifest) (*objects, error) {
	o := &objects{}
	seen := map[string]bool{}
	for _, m := range ms {
		gvk := m.APIVersion + "/" + m.Kind
		if seen[gvk+"/"+m.Name] {
			return nil, fmt.Errorf("%s: %s %s rendered twice", m.Template, gvk, m.Name)
		}
		seen[gvk+"/"+m.Name] = true
		var target any
		switch gvk {
		case "apps/v1/Deployment":
			o.deployment = &appsv1.Deployment{}
			target = o.deployment
		case "v1/Service":
			o.service = &corev1.Service{}
			target = o.service
		case "v1/ServiceAccount":
			o.serviceAccount = &corev1.ServiceAccount{}
			target = o.serviceAccount
		case "v1/ConfigMap":
			o.configMap = &corev1.ConfigMap{}
			target = o.configMap
		case "autoscaling/v2/HorizontalPodAutoscaler":
			o.hpa = &autoscalingv2.HorizontalPodAutoscaler{}
			target = o.hpa
		case "policy/v1/PodDisruptionBudget":
			o.pdb = &policyv1.PodDisruptionBudget{}
			target = o.pdb
		case "networking.k8s.io/v1/NetworkPolicy":
			o.networkPolicy = &networkingv1.NetworkPolicy{}
			target = o.networkPolicy
		case "batch/v1/Job":
			j := &batchv1.Job{}
			o.jobs, target = append(o.jobs, j), j
		case "security.istio.io/v1/PeerAuthentication":
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(m.Content), &u.Object); err != nil {
				return nil, fmt.Errorf("%s: %w", m.Template, err)
			}
			o.peerAuthentications = append(o.peerAuthentications, u)
			continue
		default:
			return nil, fmt.Errorf("%s: unexpected kind %s", m.Template, gvk)
		}
		if err := yaml.UnmarshalStrict([]byte(m.Content), target); err != nil {
			return nil, fmt.Errorf("%s: strict decode into %T: %w", m.Template, target, err)
		}
	}
	if o.deployment == nil || o.service == nil {
		return nil, fmt.Errorf("no Deployment or Service rendered")
	}
	return o, nil
}

func TestManifestsDecodeStrictly(t *testing.T) {
	for _, r := range allRenders(t) {
		t.Run(r.name, func(t *testing.T) {
			if _, err := decode(r.manifests); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStrictDecodeRejectsUnknownField(t *testing.T) {
	ms := []manifest{{Template: "x.yaml", APIVersion: "v1", Kind: "Service", Name: "x",
		Content: "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  selectr: {}\n"}}
	if _, err := decode(ms); err == nil {
		t.Fatal("a misspelt field decoded without error")
	}
}
