package deploytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGatewayConfigPassesGatewayCheck builds the real gateway and runs
// "gateway -check" on the configuration its values mount, so the deployed
// config file is one the gateway accepts and the container arguments point
// at it.
func TestGatewayConfigPassesGatewayCheck(t *testing.T) {
	root := repoRoot(t)
	var gw *render
	for _, r := range allRenders(t) {
		if r.name == "app-gateway" {
			gw = &r
		}
	}
	if gw == nil {
		t.Fatal("apps/gateway/deploy/values.yaml did not render")
	}
	o, err := decode(gw.manifests)
	if err != nil {
		t.Fatal(err)
	}
	if o.configMap == nil {
		t.Fatal("the gateway's values mount no config")
	}
	c := o.deployment.Spec.Template.Spec.Containers[0]
	if len(c.Args) != 1 {
		t.Fatalf("gateway args %v, want the config path", c.Args)
	}
	mountDir := ""
	for _, m := range c.VolumeMounts {
		if m.Name == "config" {
			mountDir = m.MountPath
		}
	}
	key := strings.TrimPrefix(c.Args[0], mountDir+"/")
	content, ok := o.configMap.Data[key]
	if mountDir == "" || !ok {
		t.Fatalf("gateway argument %s is not a file of the mounted ConfigMap (mount %q, keys %v)", c.Args[0], mountDir, o.configMap.Data)
	}
	for _, want := range []string{`addr: ":8080"`, `addr: ":9090"`} {
		if !strings.Contains(content, want) {
			t.Errorf("gateway config lacks %s (the chart's http and admin ports)", want)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gateway")
	build := exec.Command("go", "build", "-o", bin, "./apps/gateway")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the gateway: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, key)
	if err := os.WriteFile(cfg, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	check := exec.Command(bin, "-check", cfg)
	check.Env = append(os.Environ(), "GATEWAY_API_KEYS=")
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("gateway -check rejects the deployed config: %v\n%s", err, out)
	}
}
