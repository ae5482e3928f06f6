package service

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMainStopsCleanlyOnSIGTERM runs Main in a child process with the real
// environment, waits for its ready line, sends SIGTERM and checks it shuts
// down in order and exits 0.
func TestMainStopsCleanlyOnSIGTERM(t *testing.T) {
	if os.Getenv("CENTURIA_SERVICE_MAIN_CHILD") == "1" {
		Main(itemsSpec(os.Getenv("CHILD_STREAM"), os.Getenv("CHILD_PREFIX"), nil))
		return
	}
	env, stream, prefix := baseEnv(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainStopsCleanlyOnSIGTERM$", "-test.v=false")
	cmd.Env = append(os.Environ(), "CENTURIA_SERVICE_MAIN_CHILD=1", "CHILD_STREAM="+stream, "CHILD_PREFIX="+prefix)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan map[string]any, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
	}()
	next := func(msg string) map[string]any {
		t.Helper()
		timeout := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("child exited before logging %q", msg)
				}
				if l["msg"] == msg {
					return l
				}
			case <-timeout:
				t.Fatalf("no %q log line", msg)
			}
		}
	}
	ready := next("ready")
	admin, _ := ready["admin_addr"].(string)
	resp, err := http.Get("http://" + admin + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if l := next("shutting down"); !strings.Contains(l["cause"].(string), "terminated") {
		t.Errorf("shutting down: %v", l)
	}
	next("stopped")
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child exit: %v", err)
	}
}
