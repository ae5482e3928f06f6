package stack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/tools/devstack/internal/supervisor"
	"github.com/centuria/centuria/tools/devstack/internal/tokens"
)

var (
	gatewayOnce sync.Once
	gatewayBin  string
	gatewayErr  error
)

// buildGateway builds apps/gateway once per test binary.
func buildGateway(t *testing.T) string {
	t.Helper()
	gatewayOnce.Do(func() {
		root, err := FindRepoRoot(".")
		if err != nil {
			gatewayErr = err
			return
		}
		dir, err := os.MkdirTemp("", "devstack-gw-")
		if err != nil {
			gatewayErr = err
			return
		}
		bins, err := Build(context.Background(), root, dir, []string{Gateway})
		gatewayBin, gatewayErr = bins[Gateway], err
	})
	if gatewayErr != nil {
		t.Fatal(gatewayErr)
	}
	return gatewayBin
}

// echo is an upstream that answers with what it received.
func echo(t *testing.T, name string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"service": name, "path": r.URL.Path, "user": r.Header.Get("X-User-Id"),
			"key": r.Header.Get("X-Api-Key-Name"), "traceparent": r.Header.Get("Traceparent"),
		})
	}))
	t.Cleanup(s.Close)
	return s
}

func TestGeneratedConfigServesTheRoutes(t *testing.T) {
	for _, backend := range []string{"local", "redis"} {
		t.Run(backend, func(t *testing.T) {
			bin := buildGateway(t)
			iss, err := tokens.NewIssuer("127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = iss.Close(context.Background()) })
			secret, digest, err := tokens.NewAPIKey()
			if err != nil {
				t.Fatal(err)
			}
			ups := map[string]string{}
			for _, s := range Services {
				ups[s] = echo(t, s).URL
			}
			addr, _ := freeAddr("127.0.0.1")
			admin, _ := freeAddr("127.0.0.1")
			cfg := GatewayConfig{Addr: addr, AdminAddr: admin, JWKSURL: iss.JWKSURL(), Issuer: iss.BaseURL(),
				Audience: tokens.Audience, APIKeysEnv: "TEST_GW_KEYS", Upstreams: ups, RatePerSecond: 5}
			if backend == "redis" {
				cfg.RedisAddr, cfg.RedisKeyPrefix = testenv.Redis(t)
			}
			y, err := GatewayYAML(cfg)
			if err != nil {
				t.Fatal(err)
			}
			path, err := writeFile(t.TempDir(), "gateway.yaml", y)
			if err != nil {
				t.Fatal(err)
			}
			env := append(os.Environ(), "TEST_GW_KEYS="+APIKeyEntry("ops", digest, AdminScope))
			check := exec.Command(bin, "-check", path)
			check.Env = env
			if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), ": OK (4 routes") {
				t.Fatalf("gateway -check: %v\n%s\n%s", err, out, y)
			}

			g := supervisor.New(supervisor.Discard{})
			p, err := g.Start(supervisor.Spec{Name: Gateway, Path: bin, Args: []string{path}, Env: env})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = g.StopAll(ctx)
			})
			if err := waitReady(context.Background(), p, Gateway, "http://"+admin+"/readyz", 30*time.Second); err != nil {
				t.Fatal(err)
			}
			token, err := iss.Sign("customer-7", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			base := "http://" + addr
			get := func(path string, hdr ...string) (int, map[string]string) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, base+path, nil)
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var m map[string]string
				_ = json.NewDecoder(resp.Body).Decode(&m)
				return resp.StatusCode, m
			}
			code, m := get("/orders/42", "Authorization", "Bearer "+token, "X-User-Id", "someone-else")
			if code != 200 || m["service"] != "orders" || m["path"] != "/orders/42" || m["user"] != "customer-7" {
				t.Fatalf("GET /orders/42 with a token: %d %v", code, m)
			}
			if code, _ := get("/orders"); code != http.StatusUnauthorized {
				t.Fatalf("GET /orders without a token: %d, want 401", code)
			}
			if code, _ := get("/orders", "X-API-Key", secret); code != http.StatusUnauthorized {
				t.Fatalf("GET /orders with the API key only: %d, want 401", code)
			}
			for _, s := range []string{"inventory", "payments", "notifications"} {
				code, m := get("/admin/"+s+"/stock/sku-1", "X-API-Key", secret)
				if code != 200 || m["service"] != s || m["path"] != "/stock/sku-1" || m["key"] != "ops" {
					t.Fatalf("admin %s: %d %v", s, code, m)
				}
				if code, _ := get("/admin/"+s+"/stock/sku-1", "Authorization", "Bearer "+token); code != http.StatusUnauthorized {
					t.Fatalf("admin %s with a customer token: %d, want 401", s, code)
				}
			}
			// The limit is 5/s with a burst of 10 per customer.
			limited := 0
			for range 30 {
				if code, _ := get("/orders", "Authorization", "Bearer "+token); code == http.StatusTooManyRequests {
					limited++
				}
			}
			if limited == 0 {
				t.Fatal("30 quick requests of one customer were never limited (5/s, burst 10)")
			}
		})
	}
}

func TestBuildNamesMissingApps(t *testing.T) {
	root, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), root, t.TempDir(), []string{"gateway", "no-such-app"})
	if err == nil || !strings.Contains(err.Error(), "apps/no-such-app not found") {
		t.Fatalf("err = %v", err)
	}
	if _, err := FindRepoRoot(t.TempDir()); err == nil {
		t.Fatal("FindRepoRoot outside the repository succeeded")
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
}

// A service that dies while starting stops the start, and the error names
// it and carries its last output lines. The gateway binary, started without
// a configuration file, plays a service that exits at once.
func TestStartReportsADyingServiceWithItsLastLines(t *testing.T) {
	gw := buildGateway(t)
	admin := testenv.PostgresAdminURL()
	prefix := testenv.Name(t, "ds") + "_"
	t.Cleanup(func() { dropDatabases(t, admin, prefix) })
	bins := map[string]string{Gateway: gw}
	for _, s := range Services {
		bins[s] = gw
	}
	var log syncBuf
	s, err := Start(context.Background(), Options{Binaries: bins, PostgresAdminURL: admin, DatabasePrefix: prefix,
		NATSURL: "embedded", RedisAddr: "off", Log: &log, ReadyTimeout: 20 * time.Second})
	if err == nil {
		s.Stop(context.Background())
		t.Fatal("Start succeeded with services that exit at once")
	}
	var crash *CrashError
	if !errors.As(err, &crash) {
		t.Fatalf("err = %v, want a *CrashError", err)
	}
	if !slices.Contains(Services, crash.Exit.Name) || !strings.Contains(err.Error(), "stopped unexpectedly (exit status 2)") ||
		!strings.Contains(err.Error(), "usage: gateway [-check] config.yaml") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(log.String(), "started an embedded NATS JetStream server") {
		t.Fatalf("launcher log lacks the embedded NATS line:\n%s", log.String())
	}
	// The databases were provisioned, one per service, before the start.
	c, err := pgx.Connect(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname LIKE $1", prefix+"%").Scan(&n); err != nil || n != len(Services) {
		t.Fatalf("%d databases named %s*, want %d (%v)", n, prefix, len(Services), err)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func dropDatabases(t *testing.T, admin, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := DropDatabases(ctx, admin, prefix); err != nil {
		t.Logf("cleanup: %v", err)
	}
}
