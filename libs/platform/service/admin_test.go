package service

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// TestAdminDiagnostics checks, with ADMIN_PPROF=true, that the admin
// listener serves a CPU profile that parses as pprof, the goroutine
// profile, runtime metrics and build info, and that the public listener
// serves none of them.
func TestAdminDiagnostics(t *testing.T) {
	env, stream, prefix := baseEnv(t)
	env["ADMIN_PPROF"] = "true"
	r := start(t, itemsSpec(stream, prefix, nil), env)
	admin, public := "http://"+r.svc.AdminAddr(), "http://"+r.svc.HTTPAddr()

	resp, err := http.Get(admin + "/debug/pprof/profile?seconds=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("CPU profile: %d %s", resp.StatusCode, b)
	}
	p, err := profile.Parse(resp.Body)
	if err != nil {
		t.Fatalf("CPU profile does not parse: %v", err)
	}
	if len(p.SampleType) == 0 || p.SampleType[len(p.SampleType)-1].Type != "cpu" || p.DurationNanos < 9e8 {
		t.Fatalf("not a 1s CPU profile: sample types %v, duration %dns", p.SampleType, p.DurationNanos)
	}

	if code, body := get(t, admin+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("goroutine profile: %d", code)
	}
	code, body := get(t, admin+"/debug/buildinfo")
	var bi struct {
		GoVersion string `json:"go_version"`
		Path      string `json:"path"`
	}
	if err := json.Unmarshal([]byte(body), &bi); code != http.StatusOK || err != nil || !strings.HasPrefix(bi.GoVersion, "go") || bi.Path == "" {
		t.Errorf("buildinfo: %d %s", code, body)
	}
	if code, body := get(t, admin+"/metrics"); code != http.StatusOK || !strings.Contains(body, "go_memory_used_bytes") {
		t.Errorf("runtime metrics missing from /metrics: %d", code)
	}

	for _, p := range []string{"/debug/pprof/", "/debug/pprof/profile?seconds=1", "/debug/pprof/heap", "/debug/buildinfo", "/metrics", "/healthz", "/readyz"} {
		if code, _ := get(t, public+p); code != http.StatusNotFound {
			t.Errorf("public %s = %d, want 404", p, code)
		}
	}
}

// TestPprofOffByDefault checks the profiler is not served without
// ADMIN_PPROF.
func TestPprofOffByDefault(t *testing.T) {
	env, stream, prefix := baseEnv(t)
	r := start(t, itemsSpec(stream, prefix, nil), env)
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/profile?seconds=1", "/debug/pprof/heap"} {
		if code, _ := get(t, "http://"+r.svc.AdminAddr()+p); code != http.StatusNotFound {
			t.Errorf("admin %s without ADMIN_PPROF = %d, want 404", p, code)
		}
	}
	if code, _ := get(t, "http://"+r.svc.AdminAddr()+"/debug/buildinfo"); code != http.StatusOK {
		t.Errorf("buildinfo = %d", code)
	}
}
