// Package gateway runs the API gateway: it builds the proxy from a
// configuration, serves the public (TLS) listener, the optional HTTP→HTTPS
// redirect and the admin listener, and hot-reloads the configuration on file
// change or SIGHUP, keeping the old version when the new one is invalid.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/centuria/centuria/apps/gateway/internal/config"
	"github.com/centuria/centuria/apps/gateway/internal/proxy"
)

// Options are the gateway's dependencies; zero values take the defaults.
type Options struct {
	// Log receives operational messages (default: discard).
	Log *slog.Logger
	// AccessLog receives one JSON line per request (one Write call each)
	// when the config enables access logs (default: discard).
	AccessLog io.Writer
	// TracerProvider and Propagator are used when server.tracing is on.
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator
	// Getenv reads the API-key variable (default os.Getenv).
	Getenv func(string) string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Grace is how long a replaced version's connections and clients stay
	// open for in-flight requests (default 30s).
	Grace time.Duration
}

// Gateway is a running gateway instance.
type Gateway struct {
	log      *slog.Logger
	getenv   func(string) string
	now      func() time.Time
	grace    time.Duration
	registry *prometheus.Registry
	metrics  *proxy.Metrics
	handler  *proxy.Handler
	front    http.Handler
	baseCtx  context.Context
	stop     context.CancelFunc

	mu       sync.Mutex // serialises Apply and Shutdown
	cur      atomic.Pointer[built]
	version  atomic.Int64
	loadedAt atomic.Pointer[time.Time]
	lastErr  atomic.Pointer[string]
	cert     atomic.Pointer[tls.Certificate]
	draining atomic.Bool
	reloads  *prometheus.CounterVec
	cfgInfo  *prometheus.GaugeVec

	servers []*http.Server
	amu     sync.Mutex
	addrs   map[string]string
	wg      sync.WaitGroup
}

// New builds a gateway serving cfg. The listeners open on Start.
func New(cfg *config.Config, o Options) (*Gateway, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Grace == 0 {
		o.Grace = 30 * time.Second
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	g := &Gateway{log: o.Log, getenv: o.Getenv, now: o.Now, grace: o.Grace, registry: reg, addrs: map[string]string{}}
	g.baseCtx, g.stop = context.WithCancel(context.Background())
	g.metrics = proxy.NewMetrics(reg)
	g.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gateway_config_reloads_total", Help: "Configuration reloads by result."}, []string{"result"})
	g.cfgInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gateway_config_info", Help: "The active configuration (value 1) by hash."}, []string{"hash"})
	reg.MustRegister(g.reloads, g.cfgInfo)

	po := proxy.Options{Metrics: g.metrics, Log: o.Log, RequestIDHeader: cfg.Server.RequestIDHeader, Now: o.Now}
	if cfg.Log.AccessEnabled() && o.AccessLog != nil {
		po.AccessLog = o.AccessLog
	}
	if cfg.Server.Tracing {
		tp, prop := o.TracerProvider, o.Propagator
		po.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))
		}
	}
	g.handler = proxy.NewHandler(po)
	g.front = g.handler
	if cfg.Server.Tracing {
		g.front = otelhttp.NewHandler(g.handler, "gateway", otelhttp.WithTracerProvider(o.TracerProvider),
			otelhttp.WithPropagators(o.Propagator))
	}
	if err := g.Apply(context.Background(), cfg); err != nil {
		g.stop()
		return nil, err
	}
	return g, nil
}

// Handler returns the public request handler (for tests and embedding).
func (g *Gateway) Handler() http.Handler { return g.front }

// Apply validates nothing itself (Load did), builds cfg and swaps it in
// atomically. On error the running version keeps serving.
func (g *Gateway) Apply(ctx context.Context, cfg *config.Config) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	cur := g.cur.Load()
	if cur != nil {
		if msg := restartOnly(cur.cfg, cfg); msg != "" {
			g.log.Warn("configuration change needs a restart to take effect", "changed", msg)
		}
	}
	b, err := g.build(ctx, cfg, cur)
	if err != nil {
		g.fail(err)
		return err
	}
	old := cur
	g.cur.Store(b)
	if b.cert != nil {
		g.cert.Store(b.cert)
	}
	oldTable := g.handler.Swap(b.table, b.auth, b.trusted, b.strip)
	v := g.version.Add(1)
	now := g.now()
	g.loadedAt.Store(&now)
	empty := ""
	g.lastErr.Store(&empty)
	g.reloads.WithLabelValues("ok").Inc()
	g.cfgInfo.Reset()
	g.cfgInfo.WithLabelValues(cfg.Hash).Set(1)
	g.log.Info("configuration active", "version", v, "hash", cfg.Hash, "routes", len(cfg.Routes))
	if old != nil {
		time.AfterFunc(g.grace, func() {
			if oldTable != nil {
				oldTable.Close()
			}
			if old.jwks != nil && old.jwks != b.jwks {
				old.jwks.cancel()
			}
			if old.redis != nil && old.redis != b.redis {
				old.redis.close()
			}
		})
	}
	return nil
}

func (g *Gateway) fail(err error) {
	msg := err.Error()
	g.lastErr.Store(&msg)
	g.reloads.WithLabelValues("error").Inc()
	g.log.Error("configuration rejected; the previous version keeps serving", "err", err)
}

// Reload reads the configuration file again and applies it; an invalid file
// is rejected and logged, and the running version keeps serving.
func (g *Gateway) Reload(ctx context.Context) error {
	cfg, err := config.Load(g.Config().Path)
	if err != nil {
		g.fail(err)
		return err
	}
	return g.Apply(ctx, cfg)
}

// Config returns the active configuration.
func (g *Gateway) Config() *config.Config { return g.cur.Load().cfg }

// restartOnly names listener settings that a reload cannot change.
func restartOnly(a, b *config.Config) string {
	switch {
	case a.Server.Addr != b.Server.Addr:
		return "server.addr"
	case (a.Server.TLS == nil) != (b.Server.TLS == nil):
		return "server.tls"
	case a.Server.RedirectAddr != b.Server.RedirectAddr:
		return "server.redirect_addr"
	case a.Admin.Addr != b.Admin.Addr:
		return "admin.addr"
	case a.Server.Tracing != b.Server.Tracing:
		return "server.tracing"
	case a.Server.RequestIDHeader != b.Server.RequestIDHeader:
		return "server.request_id_header"
	case a.Log.AccessEnabled() != b.Log.AccessEnabled():
		return "log.access"
	case a.Log.AccessBuffer != b.Log.AccessBuffer:
		return "log.access_buffer"
	case a.Server.ReadHeaderTimeout != b.Server.ReadHeaderTimeout || a.Server.IdleTimeout != b.Server.IdleTimeout ||
		a.Server.ReadTimeout != b.Server.ReadTimeout || a.Server.WriteTimeout != b.Server.WriteTimeout ||
		a.Server.MaxHeaderBytes != b.Server.MaxHeaderBytes:
		return "server timeouts or max_header_bytes"
	}
	return ""
}

// tlsConfig terminates TLS 1.2+ with AEAD suites and forward secrecy, using
// the certificate of the active configuration.
func (g *Gateway) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			c := g.cert.Load()
			if c == nil {
				return nil, errors.New("no certificate loaded")
			}
			return c, nil
		},
	}
}

// Start opens the listeners and serves in the background.
func (g *Gateway) Start() error {
	cfg := g.Config()
	s := cfg.Server
	main := &http.Server{Handler: g.front, ReadHeaderTimeout: s.ReadHeaderTimeout.D(), IdleTimeout: s.IdleTimeout.D(),
		ReadTimeout: s.ReadTimeout.D(), WriteTimeout: s.WriteTimeout.D(),
		MaxHeaderBytes: s.MaxHeaderBytes, ErrorLog: slog.NewLogLogger(g.log.Handler(), slog.LevelDebug)}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.Addr, err)
	}
	g.setAddr("main", ln.Addr().String())
	if s.TLS != nil {
		main.TLSConfig = g.tlsConfig()
		g.serve(main, func() error { return main.ServeTLS(ln, "", "") })
	} else {
		g.serve(main, func() error { return main.Serve(ln) })
	}
	if s.RedirectAddr != "" {
		_, port, _ := net.SplitHostPort(g.Addr("main"))
		if err := g.listen("redirect", s.RedirectAddr, redirectHandler(port), s); err != nil {
			return err
		}
	}
	if cfg.Admin.Addr != "off" {
		if err := g.listen("admin", cfg.Admin.Addr, g.AdminHandler(), s); err != nil {
			return err
		}
	}
	return nil
}

func (g *Gateway) listen(name, addr string, h http.Handler, s config.Server) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s (%s): %w", addr, name, err)
	}
	g.setAddr(name, ln.Addr().String())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: s.ReadHeaderTimeout.D(), IdleTimeout: s.IdleTimeout.D(), MaxHeaderBytes: s.MaxHeaderBytes}
	g.serve(srv, func() error { return srv.Serve(ln) })
	return nil
}

func (g *Gateway) serve(srv *http.Server, run func() error) {
	g.servers = append(g.servers, srv)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := run(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.log.Error("listener failed", "err", err)
		}
	}()
}

// Addr returns the bound address of a listener: "main", "redirect" or
// "admin" (empty before Start).
func (g *Gateway) Addr(name string) string {
	g.amu.Lock()
	defer g.amu.Unlock()
	return g.addrs[name]
}

func (g *Gateway) setAddr(name, addr string) {
	g.amu.Lock()
	g.addrs[name] = addr
	g.amu.Unlock()
}

// Shutdown marks the gateway not ready, drains in-flight requests until ctx
// ends, and stops background work.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.draining.Store(true)
	var errs []error
	for _, s := range g.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	g.wg.Wait()
	g.stop()
	g.mu.Lock()
	if cur := g.cur.Load(); cur != nil {
		cur.table.Close()
		if cur.redis != nil {
			cur.redis.close()
		}
	}
	g.mu.Unlock()
	return errors.Join(errs...)
}

// Run starts the gateway, watches the configuration files, reloads on a
// value from hup, and shuts down gracefully when ctx ends.
func (g *Gateway) Run(ctx context.Context, hup <-chan os.Signal) error {
	if err := g.Start(); err != nil {
		_ = g.Shutdown(context.Background())
		return err
	}
	g.log.Info("gateway listening", "addr", g.Addr("main"), "admin", g.Addr("admin"))
	w, err := g.Watch(ctx)
	if err != nil {
		g.log.Warn("file watching disabled", "err", err)
	}
	for {
		select {
		case <-ctx.Done():
			if w != nil {
				_ = w.Close()
			}
			sctx, cancel := context.WithTimeout(context.Background(), g.Config().Server.ShutdownTimeout.D())
			defer cancel()
			g.log.Info("draining")
			return g.Shutdown(sctx)
		case <-hup:
			g.log.Info("SIGHUP: reloading configuration")
			_ = g.Reload(ctx)
		}
	}
}
