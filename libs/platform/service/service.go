package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/outbox"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/centuria/centuria/libs/platform/telemetry"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Spec describes a service to Run.
type Spec struct {
	// Name is the service name, e.g. "orders" (SERVICE_NAME overrides).
	Name string
	// Migrations are goose migrations applied at start (nil: none). They
	// need DATABASE_URL.
	Migrations fs.FS
	// Streams are JetStream streams ensured at start (idempotent).
	Streams []events.StreamSpec
	// Setup runs once the database, NATS and telemetry are open: register
	// routes, consumers, the outbox relay and background workers here.
	Setup func(ctx context.Context, s *Service) error
}

// Service is a running service as Setup sees it: its connections,
// telemetry, and the registration of routes, consumers, relays and
// workers.
type Service struct {
	cfg    Config
	tel    *telemetry.Telemetry
	logger *slog.Logger
	tracer trace.Tracer
	meter  metric.Meter
	db     *postgres.DB
	nc     *nats.Conn
	js     jetstream.JetStream

	public *http.ServeMux
	admin  *http.ServeMux
	httpLn net.Listener
	admLn  net.Listener

	mu        sync.Mutex
	started   bool
	setupErrs []error
	consumers []*events.Subscriber
	relays    []*outbox.Relay
	workers   []worker
	workerCtx context.Context
	workerWG  *sync.WaitGroup
	failed    chan error

	run *running

	shuttingDown atomic.Bool
	ready        atomic.Bool
}

type worker struct {
	name string
	fn   func(ctx context.Context) error
}

// Main runs spec until SIGINT or SIGTERM with the process environment,
// logs the error and exits 1 if Run fails.
func Main(spec Spec) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one kills the process at once.
	context.AfterFunc(ctx, stop)
	err := Run(ctx, spec, os.LookupEnv)
	stop()
	if err != nil {
		slog.New(telemetry.NewJSONHandler(os.Stderr, slog.LevelInfo)).Error("service failed", "service", spec.Name, "err", err)
		os.Exit(1)
	}
}

// Run starts the service described by spec with the environment read
// through lookup, serves until ctx is done or a component fails, then
// shuts down gracefully: readiness turns 503, HTTP is drained, consumers
// finish their in-flight messages, relays and workers stop, NATS is
// drained, the database closed and telemetry flushed. It returns nil after
// a clean shutdown on ctx, the first component's error otherwise. A bad
// environment variable fails Run with an error naming it.
func Run(ctx context.Context, spec Spec, lookup func(string) (string, bool)) error {
	return run(ctx, spec, lookup, os.Stdout)
}

func run(ctx context.Context, spec Spec, lookup func(string) (string, bool), logOut io.Writer) (err error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	cfg, err := ConfigFromEnv(spec.Name, lookup)
	if err != nil {
		return err
	}
	cfg.Telemetry.LogOutput = logOut
	tel, err := telemetry.New(ctx, cfg.Telemetry)
	if err != nil {
		return err
	}
	tel.SetGlobal()
	s := &Service{
		cfg: cfg, tel: tel,
		logger: tel.Logger().With("service", cfg.Name),
		tracer: tel.TracerProvider().Tracer("github.com/centuria/centuria/libs/platform/service"),
		meter:  tel.MeterProvider().Meter("github.com/centuria/centuria/libs/platform/service"),
		public: http.NewServeMux(),
		admin:  http.NewServeMux(),
		failed: make(chan error, 1),
	}
	defer func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if ferr := tel.Shutdown(fctx); ferr != nil {
			s.logger.Warn("flushing telemetry", "err", ferr)
		}
	}()
	if err := s.start(ctx, spec); err != nil {
		s.logger.Error("start failed", "err", err)
		s.stop()
		return err
	}
	s.logger.Info("ready", "http_addr", s.httpLn.Addr().String(), "admin_addr", s.admLn.Addr().String())
	select {
	case <-ctx.Done():
		s.logger.Info("shutting down", "cause", context.Cause(ctx))
	case err = <-s.failed:
		s.logger.Error("component failed; shutting down", "err", err)
	}
	if serr := s.stop(); serr != nil && err == nil {
		err = serr
	}
	return err
}

// Name returns the service name.
func (s *Service) Name() string { return s.cfg.Name }

// Config returns the configuration read from the environment.
func (s *Service) Config() Config { return s.cfg }

// Logger returns the service's logger: JSON on stdout, with trace_id and
// span_id of the context passed to its *Context methods, and exported over
// OTLP when configured.
func (s *Service) Logger() *slog.Logger { return s.logger }

// DB returns the service's connection pool, or nil when DATABASE_URL is not
// set.
func (s *Service) DB() *postgres.DB { return s.db }

// NATS returns the service's NATS connection.
func (s *Service) NATS() *nats.Conn { return s.nc }

// JetStream returns a JetStream context on the service's connection.
func (s *Service) JetStream() jetstream.JetStream { return s.js }

// Meter returns the service's meter.
func (s *Service) Meter() metric.Meter { return s.meter }

// Tracer returns the service's tracer.
func (s *Service) Tracer() trace.Tracer { return s.tracer }

// Telemetry returns the service's telemetry providers.
func (s *Service) Telemetry() *telemetry.Telemetry { return s.tel }

// HTTPAddr returns the address the public listener is bound to.
func (s *Service) HTTPAddr() string { return s.httpLn.Addr().String() }

// AdminAddr returns the address the admin listener is bound to.
func (s *Service) AdminAddr() string { return s.admLn.Addr().String() }

// fail reports a component's error; the first one shuts the service down.
func (s *Service) fail(err error) {
	select {
	case s.failed <- err:
	default:
	}
}

// errAfterSetup is returned for a registration made after Setup.
var errAfterSetup = errors.New("only allowed during Setup")

// Subscribe creates a subscriber for cfg on the service's JetStream and
// database, lets register add its handlers, and runs it with the service:
// it starts after Setup and, on shutdown, stops fetching and finishes the
// messages in flight. Logger, TracerProvider, MeterProvider and Propagator
// default to the service's. It needs DATABASE_URL (the inbox lives there).
func (s *Service) Subscribe(cfg events.SubscriberConfig, register func(*events.Subscriber) error) error {
	if s.db == nil {
		return fmt.Errorf("subscribe %s: %w: %s is not set; consumers keep their inbox in the database", cfg.Durable, ErrInvalidConfig, postgres.EnvURL)
	}
	s.defaultTelemetry(&cfg.Logger, &cfg.TracerProvider, &cfg.MeterProvider, &cfg.Propagator)
	sub, err := events.NewSubscriber(s.js, s.db.Pool, cfg)
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", cfg.Durable, err)
	}
	if register != nil {
		if err := register(sub); err != nil {
			return fmt.Errorf("subscribe %s: registering handlers: %w", cfg.Durable, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("subscribe %s: %w", cfg.Durable, errAfterSetup)
	}
	s.consumers = append(s.consumers, sub)
	return nil
}

// defaultTelemetry sets the logger and providers a component's config left
// nil to the service's own.
func (s *Service) defaultTelemetry(l **slog.Logger, tp *trace.TracerProvider, mp *metric.MeterProvider, p *propagation.TextMapPropagator) {
	if *l == nil {
		*l = s.logger
	}
	if *tp == nil {
		*tp = s.tel.TracerProvider()
	}
	if *mp == nil {
		*mp = s.tel.MeterProvider()
	}
	if *p == nil {
		*p = s.tel.Propagator()
	}
}

// Relay runs an outbox relay with the service. Source defaults to
// "/"+Name, ListenURL to the database's direct URL, and Logger,
// TracerProvider, MeterProvider and Propagator to the service's. The
// outbox tables are created if missing. It needs DATABASE_URL.
func (s *Service) Relay(cfg outbox.RelayConfig) error {
	if s.db == nil {
		return fmt.Errorf("outbox relay: %w: %s is not set", ErrInvalidConfig, postgres.EnvURL)
	}
	if cfg.Source == "" {
		cfg.Source = "/" + s.cfg.Name
	}
	if cfg.ListenURL == "" {
		cfg.ListenURL = s.db.Config().DirectURL
	}
	s.defaultTelemetry(&cfg.Logger, &cfg.TracerProvider, &cfg.MeterProvider, &cfg.Propagator)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := outbox.EnsureSchema(ctx, s.db.Pool); err != nil {
		return err
	}
	r, err := outbox.NewRelay(s.db.Pool, s.nc, cfg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("outbox relay: %w", errAfterSetup)
	}
	s.relays = append(s.relays, r)
	return nil
}

// Go runs fn in the background with the service: from the end of Setup
// (or at once when called later) until shutdown, when its context is
// cancelled together with the consumers'. An error from fn shuts the
// service down and is returned by Run; nil is logged as an early exit.
func (s *Service) Go(name string, fn func(ctx context.Context) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := worker{name, fn}
	if s.shuttingDown.Load() {
		s.logger.Warn("worker not started: the service is shutting down", "worker", name)
		return
	}
	if s.started {
		s.runWorker(w)
		return
	}
	s.workers = append(s.workers, w)
}

// runWorker starts w; s.mu is held.
func (s *Service) runWorker(w worker) {
	s.workerWG.Add(1)
	go func() {
		defer s.workerWG.Done()
		err := w.fn(s.workerCtx)
		switch {
		case err != nil && s.workerCtx.Err() == nil:
			s.fail(fmt.Errorf("worker %s: %w", w.name, err))
		case err != nil:
			s.logger.Warn("worker stopped with an error", "worker", w.name, "err", err)
		case s.workerCtx.Err() == nil:
			s.logger.Warn("worker returned before shutdown", "worker", w.name)
		}
	}()
}

// Handle registers h on the public listener for pattern, a net/http
// ServeMux pattern such as "POST /orders" or "GET /orders/{id}". The
// handler is wrapped with a server span named after the method and route
// (W3C context extracted from the request) and the RED metrics
// http.server.request.duration. An invalid or conflicting pattern fails
// Run after Setup.
func (s *Service) Handle(pattern string, h http.Handler) {
	defer func() {
		if p := recover(); p != nil {
			s.mu.Lock()
			s.setupErrs = append(s.setupErrs, fmt.Errorf("%w: Handle(%q): %v", ErrInvalidConfig, pattern, p))
			s.mu.Unlock()
		}
	}()
	s.public.Handle(pattern, s.instrument(h))
}
