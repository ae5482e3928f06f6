package stack

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Default addresses of the platform's backing services on a developer
// machine.
const (
	DefaultPostgresAdminURL = "postgres://postgres@127.0.0.1:5432/postgres"
	DefaultNATSURL          = "nats://127.0.0.1:4222"
	DefaultRedisAddr        = "127.0.0.1:6379"
)

// Reachable reports whether addr (host:port) accepts a TCP connection
// within a second.
func Reachable(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// hostOf returns the host:port of a URL such as nats://h:4222 or
// postgres://u@h:5432/db, with the scheme's default port when it has none.
func hostOf(raw, defaultPort string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", raw)
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), defaultPort), nil
	}
	return u.Host, nil
}

// embeddedNATS starts a nats-server with JetStream inside the launcher on
// a free loopback port, storing streams under storeDir.
func embeddedNATS(host, storeDir string) (*server.Server, string, error) {
	port, err := freePort(host)
	if err != nil {
		return nil, "", err
	}
	opts := &server.Options{
		ServerName: "devstack",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoLog:      true,
		NoSigs:     true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, "", fmt.Errorf("embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, "", fmt.Errorf("embedded NATS on %s:%d did not become ready", host, port)
	}
	return srv, srv.ClientURL(), nil
}

// freePort returns a TCP port on host that was free a moment ago.
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// freeAddr returns host:port for a free port.
func freeAddr(host string) (string, error) {
	p, err := freePort(host)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, fmt.Sprint(p)), nil
}

func (s *Stack) connectNATS(ctx context.Context) error {
	switch u := s.opts.NATSURL; u {
	case "embedded":
	case "":
		if Reachable(ctx, "127.0.0.1:4222") {
			s.NATSURL = DefaultNATSURL
			fmt.Fprintf(s.opts.Log, "devstack: using NATS at %s\n", s.NATSURL)
			return nil
		}
	default:
		addr, err := hostOf(u, "4222")
		if err != nil {
			return fmt.Errorf("NATS URL: %w", err)
		}
		if !Reachable(ctx, addr) {
			return fmt.Errorf("NATS is not reachable at %s (start it with: nats-server -js, or leave the NATS URL empty for an embedded server)", addr)
		}
		s.NATSURL = u
		fmt.Fprintf(s.opts.Log, "devstack: using NATS at %s\n", s.NATSURL)
		return nil
	}
	srv, u, err := embeddedNATS(s.opts.Host, filepath.Join(s.opts.WorkDir, "nats"))
	if err != nil {
		return err
	}
	s.nats, s.NATSURL, s.NATSEmbedded = srv, u, true
	fmt.Fprintf(s.opts.Log, "devstack: no NATS at %s: started an embedded NATS JetStream server at %s\n", DefaultNATSURL, u)
	return nil
}

func (s *Stack) connectRedis(ctx context.Context) {
	switch a := s.opts.RedisAddr; a {
	case "off":
		fmt.Fprintln(s.opts.Log, "devstack: Redis off: the gateway limits requests per process")
	case "":
		if Reachable(ctx, DefaultRedisAddr) {
			s.RedisAddr = DefaultRedisAddr
			fmt.Fprintf(s.opts.Log, "devstack: the gateway's rate limits use Redis at %s\n", s.RedisAddr)
			return
		}
		fmt.Fprintf(s.opts.Log, "devstack: no Redis at %s: the gateway limits requests per process\n", DefaultRedisAddr)
	default:
		s.RedisAddr = a
		fmt.Fprintf(s.opts.Log, "devstack: the gateway's rate limits use Redis at %s\n", s.RedisAddr)
	}
}
