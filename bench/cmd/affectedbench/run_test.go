package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// standIn writes a script that answers cent's command lines.
func standIn(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cent-standin")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBenchWithStandIn(t *testing.T) {
	// The stand-in answers affected with the real oracle's shape but no
	// packages, so the accuracy line must report a difference.
	cent := standIn(t, `case "$1" in
graph) [ "$2" = --json ] || exit 2; echo '{"projects":[]}' ;;
affected) [ "$2 $3 $4" = "--base HEAD~1 --json" ] || exit 2; echo '{"projects":[{"name":"ghost"}]}' ;;
*) exit 2 ;;
esac
`)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-sizes", "tiny", "-rounds", "2", "-cent", cent}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		"command: go run ./bench/cmd/affectedbench -sizes tiny -rounds 2 -cent ",
		"### tiny: 3 apps, 16 libs, change root-util, 2 rounds",
		"| `go list -deps -test -json ./...` |",
		"| `cent graph --json` |",
		"| `cent affected --base HEAD~1 --json` |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if !regexp.MustCompile(`cent affected differs from the go list oracle \(\d+ projects\): missing [a-z]+-.*, extra ghost\n`).MatchString(text) {
		t.Errorf("accuracy line does not report the missing and extra projects:\n%s", text)
	}
	row := regexp.MustCompile("\\| `go list[^|]*\\| (\\d+) ms \\| \\d+ ms \\| \\d+ ms \\| (\\d+) MiB \\| 1\\.00x \\|")
	m := row.FindStringSubmatch(text)
	if m == nil || m[1] == "0" || m[2] == "0" {
		t.Errorf("go list row lacks a wall time and peak RSS: %v\n%s", m, text)
	}
	if !regexp.MustCompile(`graph \+ affected: \d+ ms = \d+\.\d\dx of go list \((meets|misses) the`).MatchString(text) {
		t.Errorf("output lacks the combined ratio:\n%s", text)
	}
}

func TestBenchReportsFailingCommand(t *testing.T) {
	cent := standIn(t, "echo broken workspace >&2\nexit 3\n")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-sizes", "tiny", "-rounds", "1", "-cent", cent}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if msg := errb.String(); !strings.Contains(msg, "graph --json") || !strings.Contains(msg, "broken workspace") {
		t.Errorf("error does not name the command and its stderr: %s", msg)
	}
}

func TestFlagErrors(t *testing.T) {
	for args, want := range map[string]string{
		"-sizes huge":    "-sizes",
		"-rounds 0":      "-rounds",
		"-change nope":   "-change",
		"-rounds 1 junk": "unexpected argument",
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), strings.Fields(args), &out, &errb); code != 1 || !strings.Contains(errb.String(), want) {
			t.Errorf("%s: exit %d, stderr %q, want an error naming %s", args, code, errb.String(), want)
		}
	}
}

func TestKindsWithStandIn(t *testing.T) {
	// The stand-in reports the same single project for every change.
	cent := standIn(t, `echo '{"projects":[{"name":"ghost"}]}'`)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-sizes", "tiny", "-kinds", "-cent", cent}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{
		"| change | oracle | cent |",
		"| non-go | 0 | 0 missing, 1 extra |",
		"| test-only | 1 | 1 missing, 1 extra |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if !regexp.MustCompile(`\| root-util \| (\d+) \| (\d+) missing, 1 extra \|`).MatchString(text) {
		t.Errorf("root-util row missing:\n%s", text)
	}
}
