package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/tools/devstack/internal/stack"
)

// `up` publishes the platform in its state file, `demo` finds it there, a
// second `up` refuses to start, and cancelling up's context (Ctrl-C)
// stops everything and removes the state file.
func TestUpDemoAndCtrlC(t *testing.T) {
	admin := testenv.PostgresAdminURL()
	prefix := testenv.Name(t, "up") + "_"
	t.Cleanup(func() { dropDatabases(t, admin, prefix) })
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"up", "--state-file", state, "--bin-dir", filepath.Join(dir, "bin"),
			"--postgres-admin-url", admin, "--database-prefix", prefix, "--nats-url", "embedded", "--redis-addr", "off",
			"--gateway-addr", "127.0.0.1:0", "--logs", filepath.Join(dir, "logs"), "--ready-timeout", "90s"}, &out, &out)
	}()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		if _, err := stack.ReadState(state); err == nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("up exited with %d before it was ready:\n%s", code, out.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no state file after 4 minutes:\n%s", out.String())
		}
	}
	for _, w := range []string{"Centuria is up.", "token       ey", "admin key   cdev_", "(embedded)", "rate limit  per process", "curl -s -X POST"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("up's banner lacks %q:\n%s", w, out.String())
		}
	}
	code, demoOut := run(t, "demo", "--state-file", state, "--timeout", "90s")
	if code != 0 || !strings.Contains(demoOut, "payment declined") || !strings.Contains(demoOut, "payment_failed") {
		t.Errorf("demo: exit %d\n%s", code, demoOut)
	}
	if code, msg := run(t, "up", "--state-file", state); code != 1 || !strings.Contains(msg, "a platform is already running") {
		t.Errorf("second up: exit %d, %s", code, msg)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("up after Ctrl-C: exit %d", code)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("up did not stop within 60s of Ctrl-C")
	}
	if !strings.Contains(out.String(), "devstack: everything stopped") {
		t.Errorf("up's output lacks the stop line:\n%s", out.String())
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state file still there after up stopped: %v", err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	if len(logs) != 5 {
		t.Errorf("log files %v, want one per process", logs)
	}
}

func dropDatabases(t *testing.T, admin, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stack.DropDatabases(ctx, admin, prefix); err != nil {
		t.Logf("cleanup: %v", err)
	}
}
