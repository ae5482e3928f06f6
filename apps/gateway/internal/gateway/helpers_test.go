package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centuria/centuria/apps/gateway/internal/config"
	"github.com/centuria/centuria/apps/gateway/internal/gateway"
	"github.com/centuria/centuria/internal/testenv"
)

// upstream is a real HTTP server that records what reached it.
type upstream struct {
	*httptest.Server
	name string
	hits atomic.Int64
	mu   sync.Mutex
	last *http.Request
	body []byte
}

func newUpstream(t testing.TB, name string) *upstream {
	u := &upstream{name: name}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.last = r.Clone(context.Background())
		u.body = b
		u.mu.Unlock()
		if d := r.URL.Query().Get("sleep"); d != "" {
			dur, _ := time.ParseDuration(d)
			select {
			case <-time.After(dur):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("X-Upstream", name)
		w.Header().Set("Connection", "X-Upstream-Secret")
		w.Header().Set("X-Upstream-Secret", "leak")
		_, _ = io.WriteString(w, name+" "+r.URL.Path)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) lastRequest() *http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// gw is a started gateway with its config file.
type gw struct {
	*gateway.Gateway
	path   string
	access *testenv.Buffer
}

// startGateway writes yaml (with defaults for the listeners) to a temp file,
// starts a gateway on random ports and stops it when the test ends.
func startGateway(t *testing.T, yaml string, o gateway.Options) *gw {
	t.Helper()
	return startGatewayTB(t, t, yaml, o)
}

// startGatewayB starts a quiet gateway for benchmarks.
func startGatewayB(b *testing.B, _ *testing.T, yaml string) *gw {
	return startGatewayTB(b, nil, yaml, gateway.Options{Log: slog.New(slog.DiscardHandler)})
}

func startGatewayTB(t testing.TB, tt *testing.T, yaml string, o gateway.Options) *gw {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	if !strings.Contains(yaml, "server:") {
		yaml = "server:\n  addr: 127.0.0.1:0\n" + yaml
	}
	if !strings.Contains(yaml, "admin:") {
		yaml += "\nadmin:\n  addr: 127.0.0.1:0\n"
	}
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	access := &testenv.Buffer{}
	if o.AccessLog == nil {
		o.AccessLog = access
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(testWriter{tt}, nil))
	}
	o.Grace = time.Millisecond
	g, err := gateway.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = g.Shutdown(ctx)
	})
	return &gw{Gateway: g, path: path, access: access}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (g *gw) url(p string) string { return "http://" + g.Addr("main") + p }

var client = &http.Client{Timeout: 20 * time.Second}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// raw sends a request line and headers exactly as written, so no client
// library normalises the attack away, and returns the status code.
func raw(t *testing.T, addr, request string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading response to %q: %v", request, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func adminJSON(t *testing.T, g *gw, path string, out any) {
	t.Helper()
	resp, body := get(t, "http://"+g.Addr("admin")+path, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("admin %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		t.Fatalf("admin %s: %v", path, err)
	}
}

// eventually polls cond until it holds or the wait ends; it reports an
// event, it does not assert a speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
