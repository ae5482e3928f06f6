package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// environment is the upstream, nginx, the gateway and a JWKS endpoint, all
// on loopback.
type environment struct {
	dir       string
	keep      bool
	procs     []*exec.Cmd
	jwks      *http.Server
	upPort    int
	nxPort    int
	gwPort    int
	token     string
	info      string
	cpus      int
	pids      map[int]int
	adminPort int
	gwProcs   int // the gateway's GOMAXPROCS when set
	floorPort int // floorproxy's port (0: not started)
}

// gomaxprocs is the gateway's GOMAXPROCS.
func (e *environment) gomaxprocs() int {
	if e.gwProcs > 0 {
		return e.gwProcs
	}
	if n, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && n > 0 {
		return n
	}
	return e.cpus
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitPort(ctx context.Context, port int) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("nothing listens on port %d", port)
}

func (e *environment) pidOf(port int) int { return e.pids[port] }

func (e *environment) start(ctx context.Context, port int, name string, args ...string) error {
	return e.startEnv(ctx, port, nil, name, args...)
}

// startEnv starts a process with extra environment variables and waits
// until it listens on port.
func (e *environment) startEnv(ctx context.Context, port int, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	logf, err := os.Create(filepath.Join(e.dir, filepath.Base(name)+fmt.Sprint(port)+".log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	e.procs = append(e.procs, cmd)
	e.pids[port] = cmd.Process.Pid
	if err := waitPort(ctx, port); err != nil {
		return fmt.Errorf("%s: %w (log in %s)", name, err, logf.Name())
	}
	return nil
}

func (e *environment) nginx(ctx context.Context, tmpl string, port int, accessLog bool) error {
	t, err := template.ParseFiles(filepath.Join("bench", "gateway", tmpl))
	if err != nil {
		return fmt.Errorf("run from the repository root: %w", err)
	}
	conf := filepath.Join(e.dir, strings.TrimSuffix(tmpl, ".tmpl"))
	f, err := os.Create(conf)
	if err != nil {
		return err
	}
	err = t.Execute(f, map[string]any{"Root": os.Geteuid() == 0, "Workers": runtime.NumCPU(), "Dir": e.dir,
		"Port": port, "UpstreamPort": e.upPort, "AccessLog": accessLog})
	f.Close()
	if err != nil {
		return err
	}
	return e.start(ctx, port, "nginx", "-p", e.dir, "-c", conf)
}

func setup(ctx context.Context, o options) (*environment, error) {
	dir, err := os.MkdirTemp("", "gateway-bench-")
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(dir, 0o755)
	e := &environment{dir: dir, keep: o.keep, cpus: runtime.NumCPU(), pids: map[int]int{}}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	for _, tool := range []string{"wrk", "nginx"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is not installed (Debian package %q): %w", tool, tool, err)
		}
	}
	if c, err := net.DialTimeout("tcp", o.redis, 2*time.Second); err != nil {
		return nil, fmt.Errorf("redis at %s: %w", o.redis, err)
	} else {
		c.Close()
	}
	nv, _ := exec.Command("nginx", "-v").CombinedOutput()
	e.info = strings.TrimSpace(strings.TrimPrefix(string(nv), "nginx version: "))
	for _, p := range []*int{&e.upPort, &e.nxPort, &e.gwPort, &e.adminPort} {
		if *p, err = freePort(); err != nil {
			return nil, err
		}
	}
	if err := e.nginx(ctx, "nginx-upstream.conf.tmpl", e.upPort, false); err != nil {
		return nil, err
	}
	if err := e.nginx(ctx, "nginx-proxy.conf.tmpl", e.nxPort, o.accessLog); err != nil {
		return nil, err
	}
	jwksURL, err := e.startJWKS()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "gateway")
	build := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "./apps/gateway", "./bench/gateway/floorproxy")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the gateway: %v\n%s", err, out)
	}
	if o.floor {
		if e.floorPort, err = freePort(); err != nil {
			return nil, err
		}
		var env []string
		if o.gomaxprocs > 0 {
			env = []string{"GOMAXPROCS=" + strconv.Itoa(o.gomaxprocs)}
		}
		up, listen := fmt.Sprintf("127.0.0.1:%d", e.upPort), fmt.Sprintf("127.0.0.1:%d", e.floorPort)
		if err := e.startEnv(ctx, e.floorPort, env, filepath.Join(dir, "floorproxy"), listen, up); err != nil {
			return nil, err
		}
	}
	cfg := fmt.Sprintf(`server:
  addr: 127.0.0.1:%d
admin:
  addr: %q
  pprof: true
log:
  access: %v
  access_buffer: %d
  level: warn
redis:
  addr: %q
  key_prefix: "gateway-bench-%d:"
  timeout: 2s
auth:
  jwt:
    jwks_url: %q
    issuer: https://issuer.bench/
    audience: [bench]
rate_limits:
  per_user:
    rate: 1000000
    period: 1s
    key: jwt_sub
    backend: redis
    on_redis_error: fail_closed
  per_user_lease:
    rate: 1000000
    period: 1s
    key: jwt_sub
    backend: redis
    lease: 50
    on_redis_error: fail_closed
routes:
  - name: plain
    path_prefix: /plain
    upstreams: ["http://127.0.0.1:%d"]
  - name: jwt
    path_prefix: /jwt
    upstreams: ["http://127.0.0.1:%d"]
    auth: jwt
    rate_limit: per_user
  - name: jwt-lease
    path_prefix: /lease
    upstreams: ["http://127.0.0.1:%d"]
    auth: jwt
    rate_limit: per_user_lease
`, e.gwPort, e.adminAddr(o), o.accessLog, o.accessBuffer, o.redis, time.Now().UnixNano(), jwksURL, e.upPort, e.upPort, e.upPort)
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	var gwEnv []string
	if o.gomaxprocs > 0 {
		gwEnv = []string{"GOMAXPROCS=" + strconv.Itoa(o.gomaxprocs)}
		e.gwProcs = o.gomaxprocs
	}
	if err := e.startEnv(ctx, e.gwPort, gwEnv, bin, cfgPath); err != nil {
		return nil, err
	}
	ok = true
	return e, nil
}

func (e *environment) startJWKS() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	doc, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "bench", "alg": "RS256", "use": "sig",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	e.jwks = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(doc) }),
		ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = e.jwks.Serve(l) }()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "https://issuer.bench/", "aud": "bench", "sub": "bench-user",
		"iat": time.Now().Unix(), "exp": time.Now().Add(24 * time.Hour).Unix()})
	tok.Header["kid"] = "bench"
	e.token, err = tok.SignedString(key)
	return "http://" + l.Addr().String() + "/jwks.json", err
}

func (e *environment) targets() []target {
	ts := []target{
		{name: "direct", url: fmt.Sprintf("http://127.0.0.1:%d/plain", e.upPort), pid: e.pidOf(e.upPort)},
		{name: "nginx", url: fmt.Sprintf("http://127.0.0.1:%d/plain", e.nxPort), pid: e.pidOf(e.nxPort)},
		{name: "gateway plain", url: fmt.Sprintf("http://127.0.0.1:%d/plain", e.gwPort), pid: e.pidOf(e.gwPort)},
		{name: "gateway jwt+redis", url: fmt.Sprintf("http://127.0.0.1:%d/jwt", e.gwPort), headers: []string{"Authorization: Bearer " + e.token}, pid: e.pidOf(e.gwPort)},
		{name: "gateway jwt+redis lease", url: fmt.Sprintf("http://127.0.0.1:%d/lease", e.gwPort), headers: []string{"Authorization: Bearer " + e.token}, pid: e.pidOf(e.gwPort)},
	}
	if e.floorPort != 0 {
		ts = append(ts, target{name: "go floor (reference)", url: fmt.Sprintf("http://127.0.0.1:%d/plain", e.floorPort), pid: e.pidOf(e.floorPort)})
	}
	return ts
}

func (e *environment) close() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		p := e.procs[i]
		_ = p.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	if e.jwks != nil {
		_ = e.jwks.Close()
	}
	if !e.keep {
		_ = os.RemoveAll(e.dir)
	} else {
		fmt.Println("kept", e.dir)
	}
}

func (e *environment) adminAddr(o options) string {
	if o.profile == "" {
		return "off"
	}
	return "127.0.0.1:" + strconv.Itoa(e.adminPort)
}
