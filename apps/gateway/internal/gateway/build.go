package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/centuria/centuria/apps/gateway/internal/auth"
	"github.com/centuria/centuria/apps/gateway/internal/config"
	"github.com/centuria/centuria/apps/gateway/internal/proxy"
	"github.com/centuria/centuria/apps/gateway/internal/ratelimit"
)

// built is everything one configuration version serves with.
type built struct {
	cfg     *config.Config
	table   *proxy.Table
	auth    *auth.Authenticator
	trusted proxy.TrustedProxies
	strip   []string
	cert    *tls.Certificate

	jwks      *jwksRes
	redis     *redisRes
	newJWKS   bool
	newRedis  bool
	fallbacks []*ratelimit.Fallback
}

type jwksRes struct {
	key    string
	jwks   *auth.JWKS
	cancel context.CancelFunc
}

type redisRes struct {
	key    string
	client *redis.Client
	batch  *ratelimit.Batcher
}

func (r *redisRes) close() {
	r.batch.Close()
	_ = r.client.Close()
}

// discard releases what build created for a version that will not be served.
func (b *built) discard() {
	if b.table != nil {
		b.table.Close()
	}
	if b.newJWKS && b.jwks != nil {
		b.jwks.cancel()
	}
	if b.newRedis && b.redis != nil {
		b.redis.close()
	}
}

// build compiles cfg, reusing the current JWKS cache and Redis client when
// their settings are unchanged.
func (g *Gateway) build(ctx context.Context, cfg *config.Config, cur *built) (_ *built, err error) {
	b := &built{cfg: cfg}
	defer func() {
		if err != nil {
			b.discard()
		}
	}()
	for _, s := range cfg.Server.TrustedProxies {
		pf, err := config.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		b.trusted = append(b.trusted, pf)
	}
	if t := cfg.Server.TLS; t != nil {
		c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading TLS certificate: %w", err)
		}
		b.cert = &c
	}
	b.auth = &auth.Authenticator{}
	if j := cfg.Auth.JWT; j != nil {
		if err := g.buildJWT(ctx, b, j, cur); err != nil {
			return nil, err
		}
	}
	if k := cfg.Auth.APIKeys; k != nil {
		envVal := ""
		if k.Env != "" {
			envVal = g.getenv(k.Env)
		}
		keys, err := auth.LoadAPIKeys(k.File, k.Env, envVal)
		if err != nil {
			return nil, err
		}
		b.auth.Keys = keys
		b.auth.KeyHeader = k.Header
		b.auth.KeyNameHdr = http.CanonicalHeaderKey(k.ForwardHeader)
		b.strip = append(b.strip, k.ForwardHeader)
	}
	if cfg.Redis.Addr != "" {
		key := fmt.Sprintf("%s|%d", cfg.Redis.Addr, cfg.Redis.PoolSize)
		if cur != nil && cur.redis != nil && cur.redis.key == key {
			b.redis = cur.redis
		} else {
			c := redis.NewClient(&redis.Options{
				Addr: cfg.Redis.Addr, PoolSize: cfg.Redis.PoolSize, MaxRetries: -1, DialerRetries: 1,
				DialTimeout: time.Second, ReadTimeout: cfg.Redis.Timeout.D(), WriteTimeout: cfg.Redis.Timeout.D(),
			})
			b.redis = &redisRes{key: key, client: c, batch: ratelimit.NewBatcher(c, 4, cfg.Redis.Timeout.D())}
			b.newRedis = true
		}
	}
	specs := make([]proxy.RouteSpec, 0, len(cfg.Routes))
	for _, r := range cfg.Routes {
		pol, err := auth.ParsePolicy(r.Auth)
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", r.Name, err)
		}
		s := proxy.RouteSpec{Name: r.Name, Host: r.Host, PathPrefix: r.PathPrefix, Upstreams: r.Upstreams,
			StripPrefix: r.StripPrefix, Timeout: r.Timeout.D(), Retries: r.Retries, MaxBodyBytes: r.MaxBodyBytes,
			Policy: pol, Scopes: r.Scopes, UpstreamCAFile: r.UpstreamCAFile, MaxIdleConnsPerHost: r.MaxIdleConnsPerHost,
			StandardTransport: r.Transport == "standard"}
		if r.RateLimit != "" {
			p := cfg.RateLimits[r.RateLimit]
			s.LimitKey = p.Key
			s.Limiter, err = g.limiter(b, cfg, r.Name, p)
			if err != nil {
				return nil, err
			}
		}
		specs = append(specs, s)
	}
	b.table, err = g.handler.Build(specs)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (g *Gateway) buildJWT(ctx context.Context, b *built, j *config.JWT, cur *built) error {
	key := fmt.Sprintf("%s|%s|%v|%v", j.JWKSURL, j.JWKSCAFile, j.RefreshInterval, j.MinRefetchInterval)
	if cur != nil && cur.jwks != nil && cur.jwks.key == key {
		b.jwks = cur.jwks
	} else {
		client := &http.Client{Timeout: 10 * time.Second}
		if j.JWKSCAFile != "" {
			pem, err := os.ReadFile(j.JWKSCAFile)
			if err != nil {
				return fmt.Errorf("reading JWKS CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("%s holds no PEM certificate", j.JWKSCAFile)
			}
			client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
		}
		jw := auth.NewJWKS(j.JWKSURL, auth.JWKSOptions{Client: client, Now: g.now, RefreshInterval: j.RefreshInterval.D(),
			MinRefetchInterval: j.MinRefetchInterval.D(), Logger: g.log})
		// A first fetch so the new version can verify at once; on failure
		// the background loop keeps trying and readiness reports it.
		fctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if err := jw.Refresh(fctx); err != nil {
			g.log.Warn("initial JWKS fetch failed", "err", err)
		}
		cancel()
		rctx, rcancel := context.WithCancel(g.baseCtx)
		go jw.Run(rctx)
		b.jwks = &jwksRes{key: key, jwks: jw, cancel: rcancel}
		b.newJWKS = true
	}
	var fwd []auth.ClaimHeader
	for claim, h := range j.ForwardClaims {
		fwd = append(fwd, auth.ClaimHeader{Claim: claim, Header: http.CanonicalHeaderKey(h)})
		b.strip = append(b.strip, h)
	}
	b.auth.JWT = auth.NewVerifier(b.jwks.jwks, auth.VerifierOptions{Issuer: j.Issuer, Audience: j.Audience,
		Algorithms: j.Algorithms, Leeway: j.Leeway.D(), Forward: fwd, Now: g.now})
	return nil
}

func (g *Gateway) limiter(b *built, cfg *config.Config, route string, p config.RateLimitPolicy) (ratelimit.Limiter, error) {
	l := ratelimit.Limit{Rate: p.Rate, Period: p.Period.D(), Burst: p.Burst}
	switch p.Backend {
	case "local":
		return ratelimit.NewLocal(l, g.now), nil
	case "redis":
		mode, err := ratelimit.ParseMode(p.OnRedisError)
		if err != nil {
			return nil, err
		}
		red := ratelimit.NewBatchedRedis(b.redis.batch, cfg.Redis.KeyPrefix+"rl:"+route+":", l, cfg.Redis.Timeout.D())
		var prim ratelimit.Limiter = red
		if p.Lease > 1 {
			prim = ratelimit.NewLeased(red, p.Lease, g.now)
		}
		f := ratelimit.NewFallback(prim, mode, l, p.Replicas, g.now, g.log)
		b.fallbacks = append(b.fallbacks, f)
		return f, nil
	}
	return nil, fmt.Errorf("unknown rate-limit backend %q", p.Backend)
}
