// Package config defines the gateway's single YAML configuration file: the
// listeners, TLS, routes, authentication and rate-limit policies. Loading is
// strict: an unknown key or an invalid value is an error that names the file
// and line.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Config is the whole gateway configuration. The zero value of every field
// means the documented default; Load applies the defaults and validates.
type Config struct {
	Server     Server                     `yaml:"server"`
	Admin      Admin                      `yaml:"admin"`
	Redis      Redis                      `yaml:"redis"`
	Auth       Auth                       `yaml:"auth"`
	RateLimits map[string]RateLimitPolicy `yaml:"rate_limits"`
	Routes     []Route                    `yaml:"routes"`
	Log        Log                        `yaml:"log"`

	// Path is the file the configuration was read from.
	Path string `yaml:"-"`
	// Hash is the hex SHA-256 of the file's bytes: the active version shown
	// on the admin listener.
	Hash string `yaml:"-"`
}

// Server configures the public listener.
type Server struct {
	// Addr is the listen address of the proxy (default ":8080").
	Addr string `yaml:"addr"`
	// TLS enables TLS termination on Addr when set.
	TLS *TLS `yaml:"tls"`
	// RedirectAddr, when set, serves a listener that redirects every
	// plain HTTP request to HTTPS on Addr. It requires TLS.
	RedirectAddr string `yaml:"redirect_addr"`
	// ReadHeaderTimeout bounds the time to read request headers (slowloris
	// protection, default 5s).
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included, so a
	// client cannot trickle a body forever (default 60s).
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response (default 0: none, so that
	// streaming responses work).
	WriteTimeout Duration `yaml:"write_timeout"`
	// IdleTimeout closes idle keep-alive connections (default 60s).
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes limits the size of request headers (default 16 KiB).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// ShutdownTimeout bounds draining on shutdown (default 20s).
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// TrustedProxies lists the peers (IPs or CIDRs) whose X-Forwarded-For
	// is believed when finding the client IP.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// RequestIDHeader is the request-id header (default "X-Request-Id").
	RequestIDHeader string `yaml:"request_id_header"`
	// Tracing wraps the server and upstream transports in OpenTelemetry
	// spans with context propagation.
	Tracing bool `yaml:"tracing"`
}

// TLS names the certificate and key files of a TLS listener. The files are
// reloaded when they change.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Admin configures the admin listener with health, readiness, metrics and
// the active configuration hash.
type Admin struct {
	// Addr is the admin listen address (default "127.0.0.1:9090"); "off"
	// disables the listener.
	Addr string `yaml:"addr"`
	// Pprof serves Go's profiler under /debug/pprof/ on the admin listener.
	Pprof bool `yaml:"pprof"`
}

// Redis configures the connection used by distributed rate limits.
type Redis struct {
	Addr string `yaml:"addr"`
	// KeyPrefix is put in front of every rate-limit key (default "gw:").
	KeyPrefix string `yaml:"key_prefix"`
	// Timeout bounds each limiter call (default 50ms).
	Timeout  Duration `yaml:"timeout"`
	PoolSize int      `yaml:"pool_size"`
}

// Auth holds the authentication methods that routes refer to.
type Auth struct {
	JWT     *JWT     `yaml:"jwt"`
	APIKeys *APIKeys `yaml:"api_keys"`
}

// JWT configures bearer-token validation against a JWKS endpoint.
type JWT struct {
	JWKSURL string `yaml:"jwks_url"`
	// JWKSCAFile is an optional CA bundle for an HTTPS JWKS endpoint.
	JWKSCAFile string   `yaml:"jwks_ca_file"`
	Issuer     string   `yaml:"issuer"`
	Audience   []string `yaml:"audience"`
	// Algorithms is the allow-list of signing algorithms (default RS256).
	// "none" and the HMAC family are rejected.
	Algorithms []string `yaml:"algorithms"`
	// Leeway is the clock skew allowed on exp/nbf/iat (default 30s, max 5m).
	Leeway Duration `yaml:"leeway"`
	// RefreshInterval is the background JWKS refresh period (default 5m).
	RefreshInterval Duration `yaml:"refresh_interval"`
	// MinRefetchInterval rate-limits refetches on an unknown kid (default 10s).
	MinRefetchInterval Duration `yaml:"min_refetch_interval"`
	// ForwardClaims maps claim names to the request headers that carry them
	// to upstreams. Incoming headers with these names are always stripped.
	ForwardClaims map[string]string `yaml:"forward_claims"`
}

// APIKeys configures API-key authentication. Keys are stored only as hex
// SHA-256 digests.
type APIKeys struct {
	// Header carries the key (default "X-API-Key").
	Header string `yaml:"header"`
	// File is a YAML file with a list of {name, sha256, scopes}.
	File string `yaml:"file"`
	// Env names an environment variable with entries
	// "name:sha256hex[:scope|scope]" separated by commas.
	Env string `yaml:"env"`
	// ForwardHeader carries the key's name to upstreams (default
	// "X-Api-Key-Name"). Incoming headers with this name are stripped.
	ForwardHeader string `yaml:"forward_header"`
}

// RateLimitPolicy is a named rate limit that routes refer to.
type RateLimitPolicy struct {
	// Rate requests are allowed per Period, with bursts of up to Burst.
	Rate   int      `yaml:"rate"`
	Period Duration `yaml:"period"`
	Burst  int      `yaml:"burst"`
	// Key selects what is limited: "ip", "api_key", "jwt_sub" or
	// "header:<Name>" (default "ip").
	Key string `yaml:"key"`
	// Backend is "local" (per replica token bucket) or "redis" (GCRA shared
	// by all replicas). Default "local".
	Backend string `yaml:"backend"`
	// OnRedisError is "fail_open", "fail_closed" or "local" (default
	// "local": a local bucket with Rate/Replicas).
	OnRedisError string `yaml:"on_redis_error"`
	// Replicas is the number of gateway replicas, used to divide the limit
	// for the local fallback (default 1).
	Replicas int `yaml:"replicas"`
	// Lease, for the redis backend, takes up to this many tokens per Redis
	// call and spends them locally (default 0: one call per request). The
	// shared limit is never exceeded; unused leased tokens expire, so the
	// replicas may pass slightly fewer requests than the limit.
	Lease int `yaml:"lease"`
}

// Route sends requests that match Host and PathPrefix to Upstreams.
type Route struct {
	Name string `yaml:"name"`
	// Host matches the request host (case-insensitive, port ignored);
	// empty matches any host.
	Host       string `yaml:"host"`
	PathPrefix string `yaml:"path_prefix"`
	// Upstreams are base URLs used round-robin.
	Upstreams []string `yaml:"upstreams"`
	// StripPrefix removes PathPrefix before forwarding.
	StripPrefix bool `yaml:"strip_prefix"`
	// Timeout bounds the whole upstream exchange (default 30s).
	Timeout Duration `yaml:"timeout"`
	// Retries is how often an idempotent request without a body is retried
	// on another upstream after a connection error (default 0).
	Retries int `yaml:"retries"`
	// MaxBodyBytes limits the request body (default 10 MiB; -1 unlimited).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// Auth is "public", "jwt", "api_key" or "either" (default "public").
	Auth string `yaml:"auth"`
	// Scopes are required of an API key on this route.
	Scopes []string `yaml:"scopes"`
	// RateLimit names a policy in rate_limits.
	RateLimit string `yaml:"rate_limit"`
	// UpstreamCAFile is a CA bundle for HTTPS upstreams.
	UpstreamCAFile string `yaml:"upstream_ca_file"`
	// MaxIdleConnsPerHost tunes the upstream connection pool (default 256).
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// Transport is "fast" (default: HTTP/1.1 upstreams served on the
	// request's goroutine; HTTPS and upgrades use the standard client) or
	// "standard" (net/http's Transport for everything).
	Transport string `yaml:"transport"`
}

// Log configures the access log.
type Log struct {
	// Access enables one JSON line per request (default true).
	Access *bool `yaml:"access"`
	// Level is debug, info, warn or error (default info).
	Level string `yaml:"level"`
	// AccessBuffer is the access log's buffer in bytes (default 64 KiB):
	// lines are written out when it fills and at least once a second, and
	// on shutdown. -1 writes every line at once.
	AccessBuffer int `yaml:"access_buffer"`
}

// DefaultAccessBuffer is the access log buffer size.
const DefaultAccessBuffer = 64 << 10

// AccessEnabled reports whether access logging is on.
func (l Log) AccessEnabled() bool { return l.Access == nil || *l.Access }

// Defaults applied by Load.
const (
	DefaultAddr              = ":8080"
	DefaultAdminAddr         = "127.0.0.1:9090"
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxHeaderBytes    = 16 << 10
	DefaultShutdownTimeout   = 20 * time.Second
	DefaultRequestIDHeader   = "X-Request-Id"
	DefaultRouteTimeout      = 30 * time.Second
	DefaultMaxBodyBytes      = 10 << 20
	DefaultMaxIdleConns      = 256
	DefaultRedisTimeout      = 50 * time.Millisecond
	DefaultRedisPrefix       = "gw:"
)

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (c *Config) applyDefaults() {
	s := &c.Server
	if s.Addr == "" {
		s.Addr = DefaultAddr
	}
	if s.ReadHeaderTimeout == 0 {
		s.ReadHeaderTimeout = Duration(DefaultReadHeaderTimeout)
	}
	if s.ReadTimeout == 0 {
		s.ReadTimeout = Duration(60 * time.Second)
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = Duration(DefaultIdleTimeout)
	}
	if s.MaxHeaderBytes == 0 {
		s.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if s.ShutdownTimeout == 0 {
		s.ShutdownTimeout = Duration(DefaultShutdownTimeout)
	}
	if s.RequestIDHeader == "" {
		s.RequestIDHeader = DefaultRequestIDHeader
	}
	if c.Admin.Addr == "" {
		c.Admin.Addr = DefaultAdminAddr
	}
	if c.Redis.KeyPrefix == "" {
		c.Redis.KeyPrefix = DefaultRedisPrefix
	}
	if c.Redis.Timeout == 0 {
		c.Redis.Timeout = Duration(DefaultRedisTimeout)
	}
	if c.Log.AccessBuffer == 0 {
		c.Log.AccessBuffer = DefaultAccessBuffer
	}
	if j := c.Auth.JWT; j != nil {
		if len(j.Algorithms) == 0 {
			j.Algorithms = []string{"RS256"}
		}
		if j.Leeway == 0 {
			j.Leeway = Duration(30 * time.Second)
		}
		if j.RefreshInterval == 0 {
			j.RefreshInterval = Duration(5 * time.Minute)
		}
		if j.MinRefetchInterval == 0 {
			j.MinRefetchInterval = Duration(10 * time.Second)
		}
	}
	if k := c.Auth.APIKeys; k != nil {
		if k.Header == "" {
			k.Header = "X-API-Key"
		}
		if k.ForwardHeader == "" {
			k.ForwardHeader = "X-Api-Key-Name"
		}
	}
	for name, p := range c.RateLimits {
		if p.Key == "" {
			p.Key = "ip"
		}
		if p.Backend == "" {
			p.Backend = "local"
		}
		if p.OnRedisError == "" {
			p.OnRedisError = "local"
		}
		if p.Replicas == 0 {
			p.Replicas = 1
		}
		if p.Burst == 0 {
			p.Burst = p.Rate
		}
		c.RateLimits[name] = p
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Timeout == 0 {
			r.Timeout = Duration(DefaultRouteTimeout)
		}
		if r.MaxBodyBytes == 0 {
			r.MaxBodyBytes = DefaultMaxBodyBytes
		}
		if r.Auth == "" {
			r.Auth = "public"
		}
		if r.Transport == "" {
			r.Transport = "fast"
		}
		if r.MaxIdleConnsPerHost == 0 {
			r.MaxIdleConnsPerHost = DefaultMaxIdleConns
		}
	}
}
