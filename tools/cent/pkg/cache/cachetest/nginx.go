package cachetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NginxOptions configures the nginx started by Nginx.
type NginxOptions struct {
	// User and Password, when set, require basic auth.
	User, Password string
	// Token, when set, requires "Authorization: Bearer <Token>".
	Token string
	// MaxBodySize is nginx's client_max_body_size; empty means 2g.
	MaxBodySize string
}

// NginxCache is a running nginx acting as a Bazel HTTP cache.
type NginxCache struct {
	// URL is the cache's base URL, http://127.0.0.1:<port>.
	URL string
	// Root is the directory nginx serves and stores uploads in.
	Root string
}

// Path returns the file nginx keeps an object in, e.g. Path("cas", hex).
func (n *NginxCache) Path(ns, hex string) string { return filepath.Join(n.Root, ns, hex) }

// Nginx starts the machine's nginx (Debian package nginx) on a free
// loopback port with WebDAV PUT enabled, so that it serves the Bazel HTTP
// cache protocol, and stops it when the test ends. It fails the test when
// nginx is not installed.
func Nginx(t testing.TB, o NginxOptions) *NginxCache {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		t.Fatalf("nginx is required as a real HTTP cache peer: install it (apt-get install nginx): %v", err)
	}
	var lastErr error
	for range 5 {
		n, err := startNginx(t, bin, o)
		if err == nil {
			return n
		}
		lastErr = err // most likely the port was taken meanwhile
	}
	t.Fatalf("starting nginx: %v", lastErr)
	return nil
}

func startNginx(t testing.TB, bin string, o NginxOptions) (*NginxCache, error) {
	dir := t.TempDir()
	root := filepath.Join(dir, "data")
	for _, d := range []string{root, filepath.Join(dir, "tmp"), filepath.Join(dir, "logs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()

	var auth strings.Builder
	if o.User != "" {
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(o.User+":{PLAIN}"+o.Password+"\n"), 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintf(&auth, "auth_basic \"cache\";\n      auth_basic_user_file %s;\n", htpasswd)
	}
	if o.Token != "" {
		fmt.Fprintf(&auth, "if ($http_authorization != \"Bearer %s\") { return 401; }\n", o.Token)
	}
	maxBody := o.MaxBodySize
	if maxBody == "" {
		maxBody = "2g"
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root root;"
	}
	conf := fmt.Sprintf(`%[1]s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/logs/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path %[2]s/tmp/body;
  proxy_temp_path %[2]s/tmp/proxy;
  fastcgi_temp_path %[2]s/tmp/fastcgi;
  uwsgi_temp_path %[2]s/tmp/uwsgi;
  scgi_temp_path %[2]s/tmp/scgi;
  keepalive_requests 100000;
  server {
    listen %[3]s;
    root %[4]s;
    client_max_body_size %[6]s;
    location / {
      %[5]s
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
`, user, dir, addr, root, auth.String(), maxBody)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "logs", "error.log"))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case werr := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
			return nil, fmt.Errorf("nginx exited (%v): %s %s", werr, out, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return nil, fmt.Errorf("nginx did not listen on %s within 20s: %s", addr, out)
		}
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	return &NginxCache{URL: "http://" + addr, Root: root}, nil
}
