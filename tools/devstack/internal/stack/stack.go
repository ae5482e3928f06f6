// Package stack starts the whole Centuria platform on one machine: the four
// reference services and the gateway as child processes built from the
// repository, each with its own ports and database, on the machine's
// PostgreSQL, NATS and Redis (or an embedded NATS and the gateway's local
// rate limiter when those are missing), with a token issuer for the
// gateway's JWT routes and an admin API key.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"golang.org/x/sync/errgroup"

	"github.com/centuria/centuria/tools/devstack/internal/supervisor"
	"github.com/centuria/centuria/tools/devstack/internal/tokens"
)

// Environment variables the commands read to default their flags.
const (
	EnvPostgresAdminURL = "DEVSTACK_POSTGRES_ADMIN_URL"
	EnvNATSURL          = "DEVSTACK_NATS_URL"
	EnvRedisAddr        = "DEVSTACK_REDIS_ADDR"
)

// Services are the reference services, in start order. Gateway is the
// gateway's process name.
var Services = []string{"orders", "inventory", "payments", "notifications"}

// Gateway is the gateway's process and binary name.
const Gateway = "gateway"

// DefaultFailAmountCents is the order total that always fails payment.
const DefaultFailAmountCents = 6666

// Options configure Start. The zero value means the documented defaults.
type Options struct {
	// RepoRoot is the repository to build from (required unless Binaries
	// holds every binary).
	RepoRoot string
	// BinDir receives the binaries (default DefaultBinDir()).
	BinDir string
	// Binaries, when set, maps names to prebuilt binaries; nothing is built.
	Binaries map[string]string
	// WorkDir holds the gateway config and the embedded NATS store
	// (default: a temporary directory removed by Stop).
	WorkDir string
	// Host is the address every listener binds (default 127.0.0.1).
	Host string
	// GatewayAddr is the gateway's listen address (default Host:8080 when
	// free, else a free port; port 0: a free port).
	GatewayAddr string
	// PostgresAdminURL is a superuser connection (default
	// DefaultPostgresAdminURL).
	PostgresAdminURL string
	// DatabasePrefix is put in front of each service's database and role
	// name (default none: the database is named after the service).
	DatabasePrefix string
	// NATSURL is the NATS server to use; empty: DefaultNATSURL when it
	// answers, else an embedded server. "embedded" forces the latter.
	NATSURL string
	// RedisAddr is the Redis for the gateway's rate limits; empty:
	// DefaultRedisAddr when it answers, else the local limiter. "off"
	// forces the local limiter.
	RedisAddr string
	// OTLPEndpoint and OTLPProtocol (grpc or http/protobuf) enable
	// OpenTelemetry export from every process.
	OTLPEndpoint, OTLPProtocol string
	// PaymentsFailureRate is PAYMENTS_FAILURE_RATE (default "0", so only
	// FailAmountCents fails).
	PaymentsFailureRate string
	// FailAmountCents is PAYMENTS_FAIL_AMOUNT_CENTS (default
	// DefaultFailAmountCents).
	FailAmountCents int64
	// Env is added to every process's environment, ServiceEnv to one's.
	Env        []string
	ServiceEnv map[string][]string
	// LogLevel is every service's LOG_LEVEL (default info).
	LogLevel string
	// Sink receives the processes' output (default: discarded).
	Sink supervisor.Sink
	// Log receives the launcher's own progress lines (default: discarded).
	Log io.Writer
	// ReadyTimeout bounds each process's start (default 60s).
	ReadyTimeout time.Duration
	// System says whether PostgreSQL may be installed (default: nothing is
	// installed).
	System System
	// RatePerSecond is the gateway's per-customer and per-key limit
	// (default 50).
	RatePerSecond int
}

// Endpoint is where one process listens.
type Endpoint struct {
	HTTP  string `json:"http"`
	Admin string `json:"admin"`
	// DatabaseURL is the service's own login (empty for the gateway).
	DatabaseURL string `json:"database_url,omitempty"`
}

// Stack is a running platform.
type Stack struct {
	opts      Options
	group     *supervisor.Group
	issuer    *tokens.Issuer
	nats      *server.Server
	ownedWork bool

	// GatewayURL is the gateway's base URL, e.g. http://127.0.0.1:8080.
	GatewayURL string
	// APIKey is an admin API key accepted on /admin/... routes.
	APIKey string
	// NATSURL is the NATS server the services use; NATSEmbedded says
	// whether it runs inside the launcher.
	NATSURL      string
	NATSEmbedded bool
	// RedisAddr is the Redis behind the gateway's limits (empty: local).
	RedisAddr string
	// Endpoints holds every process's addresses by name.
	Endpoints map[string]Endpoint

	stopOnce sync.Once
	stopErr  error
}

func (o *Options) applyDefaults() error {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.PostgresAdminURL == "" {
		o.PostgresAdminURL = DefaultPostgresAdminURL
	}
	if o.PaymentsFailureRate == "" {
		o.PaymentsFailureRate = "0"
	}
	if f, err := strconv.ParseFloat(o.PaymentsFailureRate, 64); err != nil || f < 0 || f > 1 {
		return fmt.Errorf("payments failure rate: want a number in 0..1, got %q", o.PaymentsFailureRate)
	}
	if o.FailAmountCents == 0 {
		o.FailAmountCents = DefaultFailAmountCents
	}
	if o.FailAmountCents < 0 {
		return fmt.Errorf("fail amount: want positive cents, got %d", o.FailAmountCents)
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.Sink == nil {
		o.Sink = supervisor.Discard{}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 60 * time.Second
	}
	switch o.OTLPProtocol {
	case "", "grpc", "http/protobuf":
	default:
		return fmt.Errorf("OTLP protocol: want grpc or http/protobuf, got %q", o.OTLPProtocol)
	}
	if o.Binaries == nil && o.RepoRoot == "" {
		return errors.New("repository root is required to build the services")
	}
	return nil
}

// Start builds (unless Options.Binaries is set) and starts the platform and
// returns once every process is ready. On error everything started so far
// is stopped again.
func Start(ctx context.Context, o Options) (*Stack, error) {
	if err := o.applyDefaults(); err != nil {
		return nil, err
	}
	s := &Stack{opts: o, group: supervisor.New(o.Sink), Endpoints: map[string]Endpoint{}}
	if err := s.start(ctx); err != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		_ = s.Stop(sctx)
		return nil, err
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context) error {
	o := s.opts
	if s.opts.WorkDir == "" {
		d, err := os.MkdirTemp("", "centuria-devstack-")
		if err != nil {
			return fmt.Errorf("work directory: %w", err)
		}
		s.opts.WorkDir, s.ownedWork = d, true
	}
	bins, err := s.binaries(ctx)
	if err != nil {
		return err
	}
	if err := ensurePostgres(ctx, o.PostgresAdminURL, o.System, o.Log); err != nil {
		return err
	}
	dbs, err := provision(ctx, o.PostgresAdminURL, o.DatabasePrefix, Services)
	if err != nil {
		return fmt.Errorf("provisioning databases: %w", err)
	}
	if err := s.connectNATS(ctx); err != nil {
		return err
	}
	s.connectRedis(ctx)
	if s.issuer, err = tokens.NewIssuer(o.Host); err != nil {
		return err
	}
	secret, digest, err := tokens.NewAPIKey()
	if err != nil {
		return err
	}
	s.APIKey = secret

	g, gctx := errgroup.WithContext(ctx)
	for _, name := range Services {
		ep, err := s.endpoint()
		if err != nil {
			return err
		}
		ep.DatabaseURL = dbs[name]
		s.Endpoints[name] = ep
		spec := supervisor.Spec{Name: name, Path: bins[name], Env: s.serviceEnv(name, ep)}
		p, err := s.group.Start(spec)
		if err != nil {
			return err
		}
		fmt.Fprintf(o.Log, "devstack: started %s (pid %d) on %s, admin %s\n", name, p.Pid(), ep.HTTP, ep.Admin)
		g.Go(func() error { return waitReady(gctx, p, name, "http://"+ep.Admin+"/readyz", o.ReadyTimeout) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := s.startGateway(ctx, bins[Gateway], digest); err != nil {
		return err
	}
	return nil
}

func (s *Stack) binaries(ctx context.Context) (map[string]string, error) {
	names := append([]string{Gateway}, Services...)
	if s.opts.Binaries != nil {
		for _, n := range names {
			if s.opts.Binaries[n] == "" {
				return nil, fmt.Errorf("no binary for %s", n)
			}
		}
		return s.opts.Binaries, nil
	}
	dir := s.opts.BinDir
	if dir == "" {
		d, err := DefaultBinDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	fmt.Fprintf(s.opts.Log, "devstack: building %s into %s\n", strings.Join(names, ", "), dir)
	return Build(ctx, s.opts.RepoRoot, dir, names)
}

func (s *Stack) endpoint() (Endpoint, error) {
	h, err := freeAddr(s.opts.Host)
	if err != nil {
		return Endpoint{}, err
	}
	a, err := freeAddr(s.opts.Host)
	if err != nil {
		return Endpoint{}, err
	}
	return Endpoint{HTTP: h, Admin: a}, nil
}

// Token returns a bearer token for customer sub, valid for ttl.
func (s *Stack) Token(sub string, ttl time.Duration) (string, error) { return s.issuer.Sign(sub, ttl) }

// Crashed delivers processes that exit unexpectedly.
func (s *Stack) Crashed() <-chan supervisor.Exit { return s.group.Crashed() }

// Wait blocks until ctx ends (nil) or a process exits unexpectedly (a
// *CrashError with its last log lines).
func (s *Stack) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case e := <-s.group.Crashed():
		return &CrashError{Exit: e}
	}
}

// Pid returns the process id of the named process, or 0.
func (s *Stack) Pid(name string) int {
	if p := s.group.Process(name); p != nil {
		return p.Pid()
	}
	return 0
}

// Kill sends SIGKILL to a process and waits for it to exit.
func (s *Stack) Kill(name string) error { return s.group.Kill(name) }

// Restart starts a process again (killing it first if it runs) with the
// same ports and environment and waits until it is ready.
func (s *Stack) Restart(ctx context.Context, name string) error {
	p, err := s.group.Restart(name)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.opts.Log, "devstack: restarted %s (pid %d)\n", name, p.Pid())
	return waitReady(ctx, p, name, "http://"+s.Endpoints[name].Admin+"/readyz", s.opts.ReadyTimeout)
}

// Stop stops the gateway, then the services (SIGTERM, SIGKILL after the
// context ends), then the embedded NATS server and the token issuer, and
// removes the work directory it created. It is safe to call twice.
func (s *Stack) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		var errs []error
		errs = append(errs, s.group.Stop(ctx, Gateway))
		errs = append(errs, s.group.Stop(ctx, Services...))
		if s.issuer != nil {
			errs = append(errs, s.issuer.Close(ctx))
		}
		if s.nats != nil {
			s.nats.Shutdown()
			s.nats.WaitForShutdown()
		}
		if s.ownedWork {
			errs = append(errs, os.RemoveAll(s.opts.WorkDir))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}
