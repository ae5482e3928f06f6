package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

type validator struct{ errs []fieldError }

func (v *validator) errf(path []any, format string, args ...any) {
	v.errs = append(v.errs, fieldError{path: path, msg: fmt.Sprintf(format, args...)})
}

func p(elems ...any) []any { return elems }

func (c *Config) validate() []fieldError {
	v := &validator{}
	c.validateServer(v)
	c.validateAuth(v)
	c.validateRateLimits(v)
	c.validateRoutes(v)
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		v.errf(p("log", "level"), "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if b := c.Log.AccessBuffer; b != -1 && (b < 4<<10 || b > 16<<20) {
		v.errf(p("log", "access_buffer"), "must be -1 (unbuffered) or between 4096 and 16777216 bytes, got %d", b)
	}
	return v.errs
}

func validAddr(a string) bool {
	_, port, err := net.SplitHostPort(a)
	return err == nil && port != ""
}

func (c *Config) validateServer(v *validator) {
	s := c.Server
	if !validAddr(s.Addr) {
		v.errf(p("server", "addr"), "must be host:port, got %q", s.Addr)
	}
	if s.TLS != nil {
		if s.TLS.CertFile == "" {
			v.errf(p("server", "tls"), "cert_file is required")
		}
		if s.TLS.KeyFile == "" {
			v.errf(p("server", "tls"), "key_file is required")
		}
	}
	if s.RedirectAddr != "" {
		if s.TLS == nil {
			v.errf(p("server", "redirect_addr"), "needs server.tls: redirecting to HTTPS requires a TLS listener")
		}
		if !validAddr(s.RedirectAddr) {
			v.errf(p("server", "redirect_addr"), "must be host:port, got %q", s.RedirectAddr)
		}
	}
	if s.MaxHeaderBytes < 1024 || s.MaxHeaderBytes > 1<<20 {
		v.errf(p("server", "max_header_bytes"), "must be between 1024 and 1048576, got %d", s.MaxHeaderBytes)
	}
	for i, tp := range s.TrustedProxies {
		if _, err := ParsePrefix(tp); err != nil {
			v.errf(p("server", "trusted_proxies", i), "%v", err)
		}
	}
	if !validHeaderName(s.RequestIDHeader) {
		v.errf(p("server", "request_id_header"), "invalid header name %q", s.RequestIDHeader)
	}
	if c.Admin.Addr != "off" && !validAddr(c.Admin.Addr) {
		v.errf(p("admin", "addr"), "must be host:port or \"off\", got %q", c.Admin.Addr)
	}
}

// ParsePrefix parses a trusted-proxy entry: a single IP or a CIDR.
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", s)
		}
		return pf.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid IP address %q", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// allowedAlgs are the asymmetric algorithms the gateway verifies.
var allowedAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

func (c *Config) validateAuth(v *validator) {
	if j := c.Auth.JWT; j != nil {
		u, err := url.Parse(j.JWKSURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errf(p("auth", "jwt", "jwks_url"), "must be an http(s) URL, got %q", j.JWKSURL)
		}
		for i, a := range j.Algorithms {
			if !allowedAlgs[a] {
				v.errf(p("auth", "jwt", "algorithms", i), "algorithm %q is not allowed (asymmetric RS/PS/ES/EdDSA only; never none or HS*)", a)
			}
		}
		if j.Issuer == "" {
			v.errf(p("auth", "jwt"), "issuer is required")
		}
		if len(j.Audience) == 0 {
			v.errf(p("auth", "jwt"), "audience is required")
		}
		if j.Leeway.D() > 5*time.Minute {
			v.errf(p("auth", "jwt", "leeway"), "must be at most 5m")
		}
		for claim, h := range j.ForwardClaims {
			if claim == "" || !validHeaderName(h) {
				v.errf(p("auth", "jwt", "forward_claims", claim), "invalid header name %q", h)
			}
		}
	}
	if k := c.Auth.APIKeys; k != nil {
		if k.File == "" && k.Env == "" {
			v.errf(p("auth", "api_keys"), "file or env is required")
		}
		if !validHeaderName(k.Header) {
			v.errf(p("auth", "api_keys", "header"), "invalid header name %q", k.Header)
		}
		if !validHeaderName(k.ForwardHeader) {
			v.errf(p("auth", "api_keys", "forward_header"), "invalid header name %q", k.ForwardHeader)
		}
	}
}

func (c *Config) validateRateLimits(v *validator) {
	for name, rl := range c.RateLimits {
		at := func(f string) []any { return p("rate_limits", name, f) }
		if rl.Rate <= 0 {
			v.errf(at("rate"), "must be positive, got %d", rl.Rate)
		}
		if rl.Period <= 0 {
			v.errf(at("period"), "must be a positive duration")
		}
		if rl.Rate > 0 && rl.Period > 0 && rl.Period.D()/time.Duration(rl.Rate) < time.Microsecond {
			v.errf(at("rate"), "%d per %s is finer than one request per microsecond", rl.Rate, rl.Period.D())
		}
		if rl.Burst < 0 {
			v.errf(at("burst"), "must not be negative")
		}
		if !validLimitKey(rl.Key) {
			v.errf(at("key"), "must be ip, api_key, jwt_sub or header:<Name>, got %q", rl.Key)
		}
		switch rl.Backend {
		case "local":
		case "redis":
			if c.Redis.Addr == "" {
				v.errf(at("backend"), "redis backend needs redis.addr")
			}
		default:
			v.errf(at("backend"), "must be local or redis, got %q", rl.Backend)
		}
		switch rl.OnRedisError {
		case "fail_open", "fail_closed", "local":
		default:
			v.errf(at("on_redis_error"), "must be fail_open, fail_closed or local, got %q", rl.OnRedisError)
		}
		if rl.Lease < 0 || (rl.Lease > 0 && rl.Lease > rl.Burst) {
			v.errf(at("lease"), "must be between 0 and burst (%d), got %d", rl.Burst, rl.Lease)
		}
		if rl.Lease > 1 && rl.Backend != "redis" {
			v.errf(at("lease"), "applies to the redis backend only")
		}
		if rl.Replicas < 1 {
			v.errf(at("replicas"), "must be at least 1")
		}
	}
}

func validLimitKey(k string) bool {
	switch k {
	case "ip", "api_key", "jwt_sub":
		return true
	}
	h, ok := strings.CutPrefix(k, "header:")
	return ok && validHeaderName(h)
}

func (c *Config) validateRoutes(v *validator) {
	if len(c.Routes) == 0 {
		v.errf(p("routes"), "at least one route is required")
	}
	seen := map[string]int{}
	match := map[string]int{}
	for i, r := range c.Routes {
		at := func(f ...any) []any { return append(p("routes", i), f...) }
		if r.Name == "" {
			v.errf(at("name"), "is required")
		} else if j, dup := seen[r.Name]; dup {
			v.errf(at("name"), "duplicate route name %q (also routes[%d])", r.Name, j)
		} else {
			seen[r.Name] = i
		}
		if err := validPrefix(r.PathPrefix); err != nil {
			v.errf(at("path_prefix"), "%v", err)
		}
		if r.Host != "" && (strings.ContainsAny(r.Host, "/:@ ") || strings.ToLower(r.Host) != r.Host) {
			v.errf(at("host"), "must be a lower-case host name without port, got %q", r.Host)
		}
		key := r.Host + " " + r.PathPrefix
		if j, dup := match[key]; dup {
			v.errf(at("path_prefix"), "routes[%d] already matches host %q and prefix %q", j, r.Host, r.PathPrefix)
		} else {
			match[key] = i
		}
		if len(r.Upstreams) == 0 {
			v.errf(at("upstreams"), "at least one upstream URL is required")
		}
		for j, us := range r.Upstreams {
			u, err := url.Parse(us)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				v.errf(at("upstreams", j), "must be an http(s) URL without query, fragment or user info, got %q", us)
			}
		}
		if r.Retries < 0 || r.Retries > 5 {
			v.errf(at("retries"), "must be between 0 and 5, got %d", r.Retries)
		}
		if r.MaxBodyBytes < -1 {
			v.errf(at("max_body_bytes"), "must be -1 (unlimited) or positive")
		}
		switch r.Auth {
		case "public":
		case "jwt":
			if c.Auth.JWT == nil {
				v.errf(at("auth"), "route uses jwt but auth.jwt is not configured")
			}
		case "api_key":
			if c.Auth.APIKeys == nil {
				v.errf(at("auth"), "route uses api_key but auth.api_keys is not configured")
			}
		case "either":
			if c.Auth.JWT == nil || c.Auth.APIKeys == nil {
				v.errf(at("auth"), "route uses either but auth.jwt and auth.api_keys are not both configured")
			}
		default:
			v.errf(at("auth"), "must be public, jwt, api_key or either, got %q", r.Auth)
		}
		if len(r.Scopes) > 0 && r.Auth != "api_key" && r.Auth != "either" {
			v.errf(at("scopes"), "scopes apply to api_key or either routes only")
		}
		if r.RateLimit != "" {
			rl, ok := c.RateLimits[r.RateLimit]
			if !ok {
				v.errf(at("rate_limit"), "unknown rate-limit policy %q", r.RateLimit)
			} else if (rl.Key == "api_key" && r.Auth != "api_key" && r.Auth != "either") ||
				(rl.Key == "jwt_sub" && r.Auth != "jwt" && r.Auth != "either") {
				v.errf(at("rate_limit"), "policy %q is keyed by %s, which route auth %q does not provide", r.RateLimit, rl.Key, r.Auth)
			}
		}
		if r.Transport != "fast" && r.Transport != "standard" {
			v.errf(at("transport"), "must be fast or standard, got %q", r.Transport)
		}
		if r.MaxIdleConnsPerHost < 1 {
			v.errf(at("max_idle_conns_per_host"), "must be positive")
		}
	}
}

// validPrefix requires a path prefix in canonical form: it starts with "/",
// and has no dot segments, empty segments, percent signs or backslashes.
func validPrefix(pp string) error {
	if !strings.HasPrefix(pp, "/") {
		return fmt.Errorf("must start with \"/\", got %q", pp)
	}
	if strings.ContainsAny(pp, "%\\?#;\x00") {
		return fmt.Errorf("must be a canonical path without %%, \\, ?, #, ; or NUL, got %q", pp)
	}
	segs := strings.Split(strings.TrimSuffix(pp[1:], "/"), "/")
	for _, s := range segs {
		if s == "." || s == ".." || (s == "" && pp != "/") {
			return fmt.Errorf("must not contain empty, . or .. segments, got %q", pp)
		}
	}
	for _, r := range pp {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("must not contain control characters, got %q", pp)
		}
	}
	return nil
}

// validHeaderName reports whether s is a non-empty RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
