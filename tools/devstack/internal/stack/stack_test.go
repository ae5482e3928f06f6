package stack

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if gatewayBin != "" {
		os.RemoveAll(filepath.Dir(gatewayBin))
	}
	os.Exit(code)
}

// unusedURL returns a PostgreSQL URL on a loopback port nothing listens on.
func unusedURL(t *testing.T) string {
	p, err := freePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(p) + "/postgres"
}

func noInstall(t *testing.T) func(*exec.Cmd) error {
	return func(c *exec.Cmd) error {
		t.Errorf("install step run: %v", c.Args)
		return errors.New("not allowed")
	}
}

func TestMissingPostgresSaysHowToGetIt(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		sys  System
		url  string
		want []string
		not  []string
	}{
		{"not debian", System{Debian: false, Root: true, Run: noInstall(t)}, unusedURL(t),
			[]string{"PostgreSQL is not reachable at 127.0.0.1:", "apt-get install -y postgresql && pg_ctlcluster", "brew install", "--postgres-admin-url", EnvPostgresAdminURL}, []string{"sudo"}},
		{"debian, not root", System{Debian: true, Root: false, Run: noInstall(t)}, unusedURL(t),
			[]string{"sudo apt-get install -y postgresql", "sudo pg_ctlcluster --skip-systemctl-redirect", "when run as root"}, nil},
		{"debian root, remote server", System{Debian: true, Root: true, Run: noInstall(t)}, "postgres://postgres@192.0.2.1:1/postgres",
			[]string{"PostgreSQL is not reachable at 192.0.2.1:1"}, nil},
		{"debian root, install disabled", System{Debian: true, Root: true}, unusedURL(t),
			[]string{"apt-get install -y postgresql"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			err := ensurePostgres(cctx, tc.url, tc.sys, os.Stderr)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q:\n%s", w, err)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(err.Error(), w) {
					t.Errorf("message has %q:\n%s", w, err)
				}
			}
		})
	}
	if err := ensurePostgres(ctx, "::bad", System{}, os.Stderr); err == nil || !strings.Contains(err.Error(), "admin URL") {
		t.Fatalf("bad URL: %v", err)
	}
}

func TestClusterVersionPicksTheNewest(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"9.6", "15", "17", "16"} {
		if err := os.Mkdir(filepath.Join(dir, v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := clusterVersion(dir); err != nil || v != "17" {
		t.Fatalf("version = %q, %v", v, err)
	}
	if _, err := clusterVersion(t.TempDir()); err == nil {
		t.Fatal("empty directory: no error")
	}
}

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	if _, err := ReadState(path); !errors.Is(err, ErrNoStack) {
		t.Fatalf("missing file: %v", err)
	}
	st := State{PID: os.Getpid(), GatewayURL: "http://127.0.0.1:1", Token: "t", APIKey: "k", FailAmountCents: 42,
		Endpoints: map[string]Endpoint{"orders": {HTTP: "127.0.0.1:2", Admin: "127.0.0.1:3"}}}
	if err := WriteState(path, st); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode: %v %v", fi.Mode(), err)
	}
	got, err := ReadState(path)
	if err != nil || got.GatewayURL != st.GatewayURL || got.FailAmountCents != 42 || got.Endpoints["orders"].Admin != "127.0.0.1:3" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	// A state file whose process is gone is stale.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	st.PID = cmd.Process.Pid
	if err := WriteState(path, st); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadState(path); !errors.Is(err, ErrNoStack) || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("stale state: %v", err)
	}
	// RemoveState leaves another process's file alone.
	if err := RemoveState(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal("RemoveState removed another process's state")
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadState(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt state: %v", err)
	}
}

func TestOptionsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{RepoRoot: "."}, ""},
		{Options{}, "repository root is required"},
		{Options{RepoRoot: ".", PaymentsFailureRate: "2"}, "payments failure rate"},
		{Options{RepoRoot: ".", FailAmountCents: -1}, "fail amount"},
		{Options{RepoRoot: ".", OTLPProtocol: "udp"}, "OTLP protocol"},
	} {
		err := tc.o.applyDefaults()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: err = %v, want %q", tc.o, err, tc.want)
		}
	}
}

func TestInheritedEnvironmentDropsWhatTheLauncherSets(t *testing.T) {
	for kv, want := range map[string]bool{
		"PATH=/bin": true, "HOME=/root": true, "DATABASE_URL=x": false, "OTEL_SERVICE_NAME=x": false,
		"NATS_URL=x": false, "HTTP_ADDR=:1": false, "PAYMENTS_FAILURE_RATE=1": false, "GOMAXPROCS=2": true,
	} {
		if got := inherited(kv); got != want {
			t.Errorf("inherited(%q) = %v, want %v", kv, got, want)
		}
	}
}
