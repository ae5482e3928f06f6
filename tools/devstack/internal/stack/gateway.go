package stack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/centuria/centuria/tools/devstack/internal/supervisor"
	"github.com/centuria/centuria/tools/devstack/internal/tokens"
)

// GatewayConfig holds what the launcher puts in the gateway's YAML file;
// GatewayYAML renders it in the gateway's configuration format (see
// apps/gateway/README.md).
type GatewayConfig struct {
	Addr      string
	AdminAddr string
	// JWKSURL and Issuer describe the launcher's token issuer.
	JWKSURL, Issuer, Audience string
	// APIKeysEnv names the variable holding "name:sha256:scopes" entries.
	APIKeysEnv string
	// RedisAddr selects the redis rate-limit backend when set; KeyPrefix
	// keeps this run's keys apart.
	RedisAddr, RedisKeyPrefix string
	// Upstreams maps a service name to its base URL.
	Upstreams map[string]string
	// RatePerSecond is the per-customer and per-API-key limit (burst twice
	// that).
	RatePerSecond int
	Tracing       bool
}

// AdminScope is the scope the admin API key carries and the admin routes
// require.
const AdminScope = "admin"

// The customer-facing and admin routes of the reference services.
var (
	customerRoutes = []struct{ service, prefix string }{{"orders", "/orders"}}
	adminRoutes    = []string{"inventory", "payments", "notifications"}
)

type (
	gwFile struct {
		Server     gwServer           `yaml:"server"`
		Admin      gwAdmin            `yaml:"admin"`
		Redis      *gwRedis           `yaml:"redis,omitempty"`
		Auth       gwAuth             `yaml:"auth"`
		RateLimits map[string]gwLimit `yaml:"rate_limits"`
		Routes     []gwRoute          `yaml:"routes"`
		Log        map[string]any     `yaml:"log"`
	}
	gwServer struct {
		Addr            string `yaml:"addr"`
		ShutdownTimeout string `yaml:"shutdown_timeout"`
		Tracing         bool   `yaml:"tracing"`
	}
	gwAdmin struct {
		Addr string `yaml:"addr"`
	}
	gwRedis struct {
		Addr      string `yaml:"addr"`
		KeyPrefix string `yaml:"key_prefix"`
	}
	gwAuth struct {
		JWT     gwJWT     `yaml:"jwt"`
		APIKeys gwAPIKeys `yaml:"api_keys"`
	}
	gwJWT struct {
		JWKSURL            string            `yaml:"jwks_url"`
		Issuer             string            `yaml:"issuer"`
		Audience           []string          `yaml:"audience"`
		Algorithms         []string          `yaml:"algorithms"`
		MinRefetchInterval string            `yaml:"min_refetch_interval"`
		ForwardClaims      map[string]string `yaml:"forward_claims"`
	}
	gwAPIKeys struct {
		Env string `yaml:"env"`
	}
	gwLimit struct {
		Rate         int    `yaml:"rate"`
		Period       string `yaml:"period"`
		Burst        int    `yaml:"burst"`
		Key          string `yaml:"key"`
		Backend      string `yaml:"backend"`
		OnRedisError string `yaml:"on_redis_error,omitempty"`
	}
	gwRoute struct {
		Name        string   `yaml:"name"`
		PathPrefix  string   `yaml:"path_prefix"`
		Upstreams   []string `yaml:"upstreams"`
		StripPrefix bool     `yaml:"strip_prefix,omitempty"`
		Timeout     string   `yaml:"timeout"`
		Auth        string   `yaml:"auth"`
		Scopes      []string `yaml:"scopes,omitempty"`
		RateLimit   string   `yaml:"rate_limit"`
	}
)

// GatewayYAML renders the configuration. Every service named in the routes
// must have an upstream.
func GatewayYAML(c GatewayConfig) ([]byte, error) {
	backend := "local"
	var redis *gwRedis
	if c.RedisAddr != "" {
		backend = "redis"
		redis = &gwRedis{Addr: c.RedisAddr, KeyPrefix: c.RedisKeyPrefix}
	}
	rate := c.RatePerSecond
	if rate <= 0 {
		rate = 50
	}
	limit := func(key string) gwLimit {
		l := gwLimit{Rate: rate, Period: "1s", Burst: 2 * rate, Key: key, Backend: backend}
		if backend == "redis" {
			l.OnRedisError = "local"
		}
		return l
	}
	f := gwFile{
		Server: gwServer{Addr: c.Addr, ShutdownTimeout: "5s", Tracing: c.Tracing},
		Admin:  gwAdmin{Addr: c.AdminAddr},
		Redis:  redis,
		Auth: gwAuth{
			JWT: gwJWT{JWKSURL: c.JWKSURL, Issuer: c.Issuer, Audience: []string{c.Audience},
				Algorithms: []string{"ES256"}, MinRefetchInterval: "1s",
				ForwardClaims: map[string]string{"sub": "X-User-Id"}},
			APIKeys: gwAPIKeys{Env: c.APIKeysEnv},
		},
		RateLimits: map[string]gwLimit{"per_customer": limit("jwt_sub"), "per_api_key": limit("api_key")},
		Log:        map[string]any{"access": true, "level": "info"},
	}
	for _, r := range customerRoutes {
		up, ok := c.Upstreams[r.service]
		if !ok {
			return nil, fmt.Errorf("gateway config: no upstream for %s", r.service)
		}
		f.Routes = append(f.Routes, gwRoute{Name: r.service, PathPrefix: r.prefix, Upstreams: []string{up},
			Timeout: "10s", Auth: "jwt", RateLimit: "per_customer"})
	}
	for _, s := range adminRoutes {
		up, ok := c.Upstreams[s]
		if !ok {
			return nil, fmt.Errorf("gateway config: no upstream for %s", s)
		}
		f.Routes = append(f.Routes, gwRoute{Name: "admin-" + s, PathPrefix: "/admin/" + s + "/", StripPrefix: true,
			Upstreams: []string{up}, Timeout: "10s", Auth: "api_key", Scopes: []string{AdminScope}, RateLimit: "per_api_key"})
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("gateway config: %w", err)
	}
	return append([]byte("# Generated by devstack for one run; edits are lost.\n"), b...), nil
}

// APIKeyEntry is the gateway's environment form of one API key.
func APIKeyEntry(name, sha256hex string, scopes ...string) string {
	return name + ":" + sha256hex + ":" + strings.Join(scopes, "|")
}

// writeFile writes b to dir/name and returns the path.
func writeFile(dir, name string, b []byte) (string, error) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", name, err)
	}
	return p, nil
}

func (s *Stack) startGateway(ctx context.Context, bin, keyDigest string) error {
	addr := s.opts.GatewayAddr
	switch {
	case addr == "":
		addr = s.opts.Host + ":8080"
		if Reachable(ctx, addr) {
			a, err := freeAddr(s.opts.Host)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.opts.Log, "devstack: %s is taken: the gateway listens on %s\n", addr, a)
			addr = a
		}
	case strings.HasSuffix(addr, ":0"):
		a, err := freeAddr(strings.TrimSuffix(addr, ":0"))
		if err != nil {
			return err
		}
		addr = a
	}
	admin, err := freeAddr(s.opts.Host)
	if err != nil {
		return err
	}
	ups := map[string]string{}
	for _, n := range Services {
		ups[n] = "http://" + s.Endpoints[n].HTTP
	}
	const keysEnv = "DEVSTACK_GATEWAY_API_KEYS"
	cfg, err := GatewayYAML(GatewayConfig{
		Addr: addr, AdminAddr: admin, JWKSURL: s.issuer.JWKSURL(), Issuer: s.issuer.BaseURL(),
		Audience: tokens.Audience, APIKeysEnv: keysEnv, RedisAddr: s.RedisAddr,
		RedisKeyPrefix: fmt.Sprintf("devstack:%d:", os.Getpid()), Upstreams: ups,
		RatePerSecond: s.opts.RatePerSecond, Tracing: true,
	})
	if err != nil {
		return err
	}
	path, err := writeFile(s.opts.WorkDir, "gateway.yaml", cfg)
	if err != nil {
		return err
	}
	env := append(s.baseEnv(Gateway), keysEnv+"="+APIKeyEntry("devstack-admin", keyDigest, AdminScope))
	spec := supervisor.Spec{Name: Gateway, Path: bin, Args: []string{path}, Env: env}
	p, err := s.group.Start(spec)
	if err != nil {
		return err
	}
	s.Endpoints[Gateway] = Endpoint{HTTP: addr, Admin: admin}
	s.GatewayURL = "http://" + addr
	fmt.Fprintf(s.opts.Log, "devstack: started gateway (pid %d) on %s, admin %s, config %s\n", p.Pid(), addr, admin, path)
	return waitReady(ctx, p, Gateway, "http://"+admin+"/readyz", s.opts.ReadyTimeout)
}
