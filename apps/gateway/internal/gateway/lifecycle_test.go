package gateway_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/centuria/centuria/apps/gateway/internal/config"
	"github.com/centuria/centuria/apps/gateway/internal/gateway"
)

func routeYAML(name, prefix, url string) string {
	return fmt.Sprintf("  - name: %s\n    path_prefix: %s\n    upstreams: [%q]\n", name, prefix, url)
}

func TestHotReloadOnFileChangeAndSIGHUP(t *testing.T) {
	a, b := newUpstream(t, "a"), newUpstream(t, "b")
	g := startGateway(t, "routes:\n"+routeYAML("a", "/a", a.URL), gateway.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := g.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var st gateway.ConfigStatus
	adminJSON(t, g, "/config", &st)
	if st.Version != 1 || len(st.Hash) != 64 {
		t.Fatalf("status %+v", st)
	}
	firstHash := st.Hash

	write := func(content string) {
		tmp := g.path + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, g.path); err != nil { // atomic replace, as editors and ConfigMaps do
			t.Fatal(err)
		}
	}
	base := "server:\n  addr: 127.0.0.1:0\nadmin:\n  addr: 127.0.0.1:0\nroutes:\n" + routeYAML("a", "/a", a.URL)
	write(base + routeYAML("b", "/b", b.URL))
	eventually(t, "reload adding route b", func() bool {
		resp, _ := get(t, g.url("/b/x"), nil)
		return resp.StatusCode == 200
	})
	adminJSON(t, g, "/config", &st)
	if st.Version != 2 || st.Hash == firstHash {
		t.Fatalf("after reload: %+v", st)
	}

	// An invalid file is rejected and the running version keeps serving.
	write(base + "  - name: broken\n    path_prefix: /c\n    upstreams: [\"http://x\"]\n    bogus: 1\n")
	eventually(t, "rejected reload reported", func() bool {
		adminJSON(t, g, "/config", &st)
		return st.LastError != ""
	})
	if !strings.Contains(st.LastError, "gateway.yaml:") || !strings.Contains(st.LastError, `unknown key "bogus"`) || st.Version != 2 {
		t.Fatalf("rejected reload status %+v", st)
	}
	if resp, _ := get(t, g.url("/b/x"), nil); resp.StatusCode != 200 {
		t.Fatalf("old version stopped serving after a bad reload: %d", resp.StatusCode)
	}

	// SIGHUP path: Reload re-reads the file.
	if err := os.WriteFile(g.path, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := g.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, g.url("/b/x"), nil); resp.StatusCode != 404 {
		t.Fatalf("route b still served after reload: %d", resp.StatusCode)
	}
	resp, body := get(t, "http://"+g.Addr("admin")+"/metrics", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `gateway_config_reloads_total{result="error"}`) ||
		!strings.Contains(body, `gateway_requests_total{code="2xx",route="b"}`) {
		t.Fatalf("metrics lack reloads or per-route requests:\n%s", body)
	}
}

func TestAdminHealthReadinessAndGracefulShutdown(t *testing.T) {
	up := newUpstream(t, "u")
	g := startGateway(t, "routes:\n"+routeYAML("r", "/", up.URL), gateway.Options{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, _ := get(t, "http://"+g.Addr("admin")+p, nil); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	// A slow request in flight when shutdown starts still completes.
	done := make(chan int, 1)
	go func() {
		resp, err := client.Get(g.url("/slow?sleep=300ms"))
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	eventually(t, "request in flight", func() bool { return up.hits.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 200 {
		t.Fatalf("in-flight request during shutdown: %d", code)
	}
	if ok, why := g.Ready(); ok || why != "draining" {
		t.Fatalf("ready after shutdown: %v %s", ok, why)
	}
}

// writeCert creates a self-signed certificate for 127.0.0.1 and returns the
// paths and the certificate.
func writeCert(t *testing.T, dir, cn string) (certFile, keyFile string, cert *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: nil, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile+".tmp", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(certFile+".tmp", certFile); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return certFile, keyFile, c
}

func TestTLSHTTP2RedirectCertReloadAndHTTPSUpstream(t *testing.T) {
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "tls upstream %s", r.URL.Path)
	}))
	defer up.Close()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "upstream-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: up.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, cert1 := writeCert(t, dir, "one")
	g := startGateway(t, fmt.Sprintf(`
server:
  addr: 127.0.0.1:0
  redirect_addr: 127.0.0.1:0
  tls:
    cert_file: %q
    key_file: %q
routes:
  - name: r
    path_prefix: /
    upstreams: [%q]
    upstream_ca_file: %q
`, certFile, keyFile, up.URL, caFile), gateway.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := g.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	pool := x509.NewCertPool()
	pool.AddCert(cert1)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}, ForceAttemptHTTP2: true}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get("https://" + g.Addr("main") + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 || resp.TLS.PeerCertificates[0].Subject.CommonName != "one" {
		t.Fatalf("TLS: %d proto %s", resp.StatusCode, resp.Proto)
	}
	// TLS 1.1 is refused.
	old := &tls.Config{MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true}
	if conn, err := tls.Dial("tcp", g.Addr("main"), old); err == nil {
		conn.Close()
		t.Fatal("TLS 1.1 handshake succeeded")
	}
	// The redirect listener sends plain HTTP to HTTPS with 308.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rresp, err := noFollow.Get("http://" + g.Addr("redirect") + "/a?b=c")
	if err != nil {
		t.Fatal(err)
	}
	rresp.Body.Close()
	_, port, _ := strings.Cut(g.Addr("main"), ":")
	if rresp.StatusCode != 308 || rresp.Header.Get("Location") != "https://127.0.0.1:"+port+"/a?b=c" {
		t.Fatalf("redirect: %d %q", rresp.StatusCode, rresp.Header.Get("Location"))
	}
	// Replacing the certificate files is picked up without a restart.
	_, _, cert2 := writeCert(t, dir, "two")
	pool.AddCert(cert2)
	eventually(t, "new certificate served", func() bool {
		tr.CloseIdleConnections()
		resp, err := c.Get("https://" + g.Addr("main") + "/hello")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].Subject.CommonName == "two"
	})
}

func TestTracingPropagatesToUpstream(t *testing.T) {
	up := newUpstream(t, "u")
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	g := startGateway(t, "server:\n  addr: 127.0.0.1:0\n  tracing: true\nroutes:\n"+routeYAML("r", "/", up.URL),
		gateway.Options{TracerProvider: tp, Propagator: propagation.TraceContext{}})
	if resp, _ := get(t, g.url("/traced"), nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	tp.ForceFlush(context.Background())
	tparent := up.lastRequest().Header.Get("Traceparent")
	parts := strings.Split(tparent, "-")
	if len(parts) != 4 {
		t.Fatalf("upstream traceparent %q", tparent)
	}
	spans := rec.Ended()
	if len(spans) < 2 {
		t.Fatalf("%d spans ended, want server and client spans", len(spans))
	}
	for _, s := range spans {
		if s.SpanContext().TraceID().String() != parts[1] {
			t.Fatalf("span %s in trace %s, upstream saw trace %s", s.Name(), s.SpanContext().TraceID(), parts[1])
		}
	}
}

func TestRunReloadsOnSIGHUPAndDrainsOnCancel(t *testing.T) {
	a, b := newUpstream(t, "a"), newUpstream(t, "b")
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	base := "server:\n  addr: 127.0.0.1:0\nadmin:\n  addr: 127.0.0.1:0\nroutes:\n" + routeYAML("a", "/a", a.URL)
	if err := os.WriteFile(path, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.Options{Grace: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx, hup) }()
	eventually(t, "listener up", func() bool { return g.Addr("main") != "" })
	url := "http://" + g.Addr("main")
	// Write without triggering the watcher's rename path: the SIGHUP does the reload.
	if err := os.WriteFile(path, []byte(base+routeYAML("b", "/b", b.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- syscall.SIGHUP
	eventually(t, "route b after SIGHUP", func() bool {
		resp, err := client.Get(url + "/b/x")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if _, err := client.Get(url + "/a"); err == nil {
		t.Fatal("listener still accepting after Run returned")
	}
}
