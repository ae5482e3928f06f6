// Package apptest starts a reference service in the test's process through
// service.Run, against a fresh PostgreSQL database and the order flow's
// streams under a prefix unique to the test, and talks to it over HTTP.
package apptest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/service"
	flowtest "github.com/centuria/centuria/libs/shared/util-flowtest"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
)

// App is a service running in the test.
type App struct {
	// URL is the base URL of the public listener, AdminURL of the admin one.
	URL, AdminURL string
	// Flow is the test's stream namespace (EVENTS_PREFIX).
	Flow flowtest.Flow
	// Env is the environment the service was started with.
	Env map[string]string
}

// Start runs the service that build describes, with env added to an
// environment holding a fresh DATABASE_URL, NATS_URL, loopback HTTP_ADDR
// and ADMIN_ADDR on free ports and EVENTS_PREFIX, until the test ends. It
// returns once /readyz answers 200; the test fails if Run returns an error.
func Start(t *testing.T, build func(lookup func(string) (string, bool)) service.Spec, env map[string]string) *App {
	t.Helper()
	flow := flowtest.NATS(t)
	full := map[string]string{
		"DATABASE_URL":      testenv.Postgres(t),
		"NATS_URL":          testenv.NATSURL(),
		"HTTP_ADDR":         "127.0.0.1:0",
		"ADMIN_ADDR":        "127.0.0.1:0",
		"SHUTDOWN_TIMEOUT":  "10s",
		"OTEL_SDK_DISABLED": "true",
		orderflow.EnvPrefix: flow.Topology.Prefix(),
	}
	for k, v := range env {
		full[k] = v
	}
	lookup := func(k string) (string, bool) { v, ok := full[k]; return v, ok }
	spec := build(lookup)
	addrs := make(chan [2]string, 1)
	setup := spec.Setup
	spec.Setup = func(ctx context.Context, s *service.Service) error {
		addrs <- [2]string{s.HTTPAddr(), s.AdminAddr()}
		if setup == nil {
			return nil
		}
		return setup(ctx, s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- service.Run(ctx, spec, lookup) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("service.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("service did not stop within 30s")
		}
	})
	var a [2]string
	select {
	case a = <-addrs:
	case err := <-done:
		t.Fatalf("service.Run returned before Setup: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("service did not reach Setup within 60s")
	}
	app := &App{URL: "http://" + a[0], AdminURL: "http://" + a[1], Flow: flow, Env: full}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(app.AdminURL + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("service.Run returned before it was ready: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz not 200 within 30s (last error %v)", app.AdminURL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return app
}

// Do sends a request with an optional JSON body and headers (key, value
// pairs) and returns the status and the decoded JSON body.
func (a *App) Do(t *testing.T, method, path, body string, header ...string) (int, map[string]any) {
	t.Helper()
	return Do(t, a.URL, method, path, body, header...)
}

// Do sends a request to the server at base (a URL) with an optional JSON
// body and headers (key, value pairs) and returns the status and the
// decoded JSON body; a body that is not JSON fails the test.
func Do(t *testing.T, base, method, path, body string, header ...string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, r)
	testenv.Must(t, err, "request")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	testenv.Must(t, err, "%s %s", method, path)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d with a non-JSON body %q", method, path, res.StatusCode, b)
	}
	return res.StatusCode, out
}
