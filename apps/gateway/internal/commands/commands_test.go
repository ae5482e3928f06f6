package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	badKeys := filepath.Join(dir, "badkeys.yaml")
	_ = os.WriteFile(good, []byte("routes:\n  - name: r\n    path_prefix: /\n    upstreams: [\"http://127.0.0.1:1\"]\n"), 0o600)
	_ = os.WriteFile(bad, []byte("routes:\n  - name: r\n    path_prefix: /\n    upstream: [\"http://127.0.0.1:1\"]\n"), 0o600)
	keys := filepath.Join(dir, "keys.yaml")
	_ = os.WriteFile(keys, []byte("keys:\n  - name: a\n    sha256: nothex\n"), 0o600)
	_ = os.WriteFile(badKeys, []byte("auth:\n  api_keys:\n    file: "+keys+"\nroutes:\n  - name: r\n    path_prefix: /\n    upstreams: [\"http://h\"]\n    auth: api_key\n"), 0o600)

	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("-check", good); code != 0 || !strings.Contains(out, "OK (1 routes") {
		t.Fatalf("good: %d %q", code, out)
	}
	if code, _, errs := run("-check", bad); code != 1 || !strings.Contains(errs, "bad.yaml:4: unknown key \"upstream\"") {
		t.Fatalf("bad: %d %q", code, errs)
	}
	if code, _, errs := run("-check", badKeys); code != 1 || !strings.Contains(errs, "keys.yaml:2:") {
		t.Fatalf("bad key file: %d %q", code, errs)
	}
	if code, _, _ := run("-check"); code != 2 {
		t.Fatalf("missing argument: %d", code)
	}
	if code, _, _ := run("-nope", good); code != 2 {
		t.Fatalf("unknown flag: %d", code)
	}
	if code, _, errs := run("-check", filepath.Join(dir, "missing.yaml")); code != 1 || !strings.Contains(errs, "missing.yaml") {
		t.Fatalf("missing file: %d %q", code, errs)
	}
}

func TestExampleConfigChecks(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"-check", "../../config.example.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("example config: %s", errb.String())
	}
}

func TestSetupTracing(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	stop, err := setupTracing(context.Background(), getenv)
	if err != nil || stop(context.Background()) != nil {
		t.Fatalf("no endpoint: %v", err)
	}
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:1"
	env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "carrier-pigeon"
	if _, err := setupTracing(context.Background(), getenv); err == nil || !strings.Contains(err.Error(), "carrier-pigeon") {
		t.Fatalf("bad protocol: %v", err)
	}
	env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
	stop, err = setupTracing(context.Background(), getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = stop(ctx) // nothing listens; shutting down must still return
}
