package commands

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"rsc.io/script"
	"rsc.io/script/scripttest"
)

// TestScripts runs the txtar scripts in testdata/script: each unpacks a
// workspace and runs cent (in-process) and git against it, checking output.
func TestScripts(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is required by the cent script tests: %v", err)
	}
	cmds := scripttest.DefaultCmds()
	cmds["cent"] = centCmd()
	engine := &script.Engine{Cmds: cmds, Conds: scripttest.DefaultConds()}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"GIT_AUTHOR_NAME=cent-test", "GIT_AUTHOR_EMAIL=cent@example.com",
		"GIT_COMMITTER_NAME=cent-test", "GIT_COMMITTER_EMAIL=cent@example.com",
		"GIT_CONFIG_NOSYSTEM=1", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local",
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT", "GOPROXY", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if os.Getenv("GOCACHE") == "" {
		if out, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
			env = append(env, "GOCACHE="+strings.TrimSpace(string(out)))
		}
	}
	scripttest.Test(t, context.Background(), engine, env, "testdata/script/*.txtar")
}

// centCmd runs cent's root command in-process in the script's directory.
func centCmd() script.Cmd {
	return script.Command(
		script.CmdUsage{Summary: "run cent in-process", Args: "args..."},
		func(s *script.State, args ...string) (script.WaitFunc, error) {
			var stdout, stderr bytes.Buffer
			full := append([]string{"-C", s.Getwd()}, args...)
			restore := setEnv(s)
			code := Execute(s.Context(), full, &stdout, &stderr)
			restore()
			return func(*script.State) (string, string, error) {
				var err error
				if code != 0 {
					err = fmt.Errorf("cent exited with status %d", code)
				}
				return stdout.String(), stderr.String(), err
			}, nil
		})
}

// setEnv applies the script's CENT_* and GIT_CEILING_DIRECTORIES variables to the process for the
// duration of one in-process cent call (tests using it are not parallel).
func setEnv(s *script.State) (restore func()) {
	var undo []func()
	for _, kv := range s.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "CENT_") && !strings.HasPrefix(k, "GIT_CEILING") {
			continue
		}
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		undo = append(undo, func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		})
	}
	return func() {
		for _, u := range undo {
			u()
		}
	}
}
