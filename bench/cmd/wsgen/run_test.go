package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateAndChange(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ws")
	manifest := filepath.Join(t.TempDir(), "m.json")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-preset", "tiny", "-out", out, "-manifest", manifest}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote 3 apps and 16 libraries") {
		t.Errorf("stdout: %s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "go.mod")); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"-out", out, "-manifest", manifest, "-change", "gomod-bump"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.TrimSpace(stdout.String()) != "go.mod" {
		t.Errorf("change printed %q, want go.mod", stdout.String())
	}
	data, _ := os.ReadFile(filepath.Join(out, "go.mod"))
	if !strings.Contains(string(data), "v1.0.1") || !strings.Contains(string(data), "=> ./third_party/") {
		t.Errorf("go.mod after bump:\n%s", data)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"module": "x", "surprise": 1}`), 0o644)
	nonEmpty := t.TempDir()
	os.WriteFile(filepath.Join(nonEmpty, "f"), nil, 0o644)
	for args, want := range map[string]string{
		"-preset huge -out " + dir + "/x":                     "-preset",
		"-preset tiny":                                        "-out is required",
		"-preset tiny -out " + nonEmpty:                       "not empty",
		"-out " + dir + " -change root-util":                  "-change needs -manifest",
		"-out " + dir + " -change root-util -manifest " + bad: "surprise",
		"-out " + dir + " extra":                              "unexpected argument",
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), strings.Fields(args), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", args, code, stderr.String(), want)
		}
	}
}
