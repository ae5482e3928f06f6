package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// running holds what start brought up, for stop to take down in order.
type running struct {
	httpSrv, adminSrv *http.Server
	cancelConsumers   context.CancelFunc
	consumersWG       sync.WaitGroup
	cancelRelays      context.CancelFunc
	relaysWG          sync.WaitGroup
	natsClosed        chan struct{}
}

// start binds the listeners, serves the admin listener, opens the
// database (migrating first) and NATS, ensures the streams, runs Setup and
// starts the consumers, relays, workers and the public listener.
func (s *Service) start(ctx context.Context, spec Spec) error {
	s.run = &running{}
	var err error
	if s.admLn, err = net.Listen("tcp", s.cfg.AdminAddr); err != nil {
		return fmt.Errorf("admin listener (%s=%s): %w", EnvAdminAddr, s.cfg.AdminAddr, err)
	}
	if s.httpLn, err = net.Listen("tcp", s.cfg.HTTPAddr); err != nil {
		s.admLn.Close()
		return fmt.Errorf("public listener (%s=%s): %w", EnvHTTPAddr, s.cfg.HTTPAddr, err)
	}
	s.routeAdmin()
	s.run.adminSrv = &http.Server{Handler: s.admin, ReadHeaderTimeout: 10 * time.Second}
	go s.serve("admin", s.run.adminSrv, s.admLn)
	s.run.httpSrv = &http.Server{Handler: s.public, ReadHeaderTimeout: 10 * time.Second}

	if spec.Migrations != nil && !s.cfg.HasDatabase {
		return fmt.Errorf("%w: %s is not set but Spec.Migrations needs a database", ErrInvalidConfig, postgres.EnvURL)
	}
	if s.cfg.HasDatabase {
		if spec.Migrations != nil && s.cfg.Migrate {
			versions, err := postgres.Migrate(ctx, s.cfg.Database, spec.Migrations)
			if err != nil {
				return err
			}
			if len(versions) > 0 {
				s.logger.Info("migrated", "versions", versions)
			}
		}
		s.db, err = postgres.Open(ctx, s.cfg.Database,
			postgres.WithTracerProvider(s.tel.TracerProvider()), postgres.WithMeterProvider(s.tel.MeterProvider()))
		if err != nil {
			return fmt.Errorf("opening database: %w", err)
		}
		if err := s.poolMetrics(); err != nil {
			return err
		}
	}

	s.run.natsClosed = make(chan struct{})
	s.nc, err = nats.Connect(s.cfg.NATSURL,
		nats.Name(s.cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.ClosedHandler(func(*nats.Conn) { close(s.run.natsClosed) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.logger.Warn("NATS disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { s.logger.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		s.run.natsClosed = nil
		return fmt.Errorf("connecting to NATS (%s=%s): %w", EnvNATSURL, s.cfg.NATSURL, err)
	}
	if s.js, err = jetstream.New(s.nc); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	for _, st := range spec.Streams {
		if _, err := events.EnsureStream(ctx, s.js, st); err != nil {
			return err
		}
	}

	if spec.Setup != nil {
		if err := spec.Setup(ctx, s); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := errors.Join(s.setupErrs...); err != nil {
		return err
	}
	if len(s.consumers) > 0 {
		ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := events.EnsureInbox(ictx, s.db.Pool)
		cancel()
		if err != nil {
			return err
		}
	}
	s.started = true
	// Consumers and workers share a context: shutdown stops both before
	// the relays, so that events they commit are still relayed.
	cctx, cancelConsumers := context.WithCancel(context.WithoutCancel(ctx))
	s.run.cancelConsumers = cancelConsumers
	s.workerCtx, s.workerWG = cctx, &s.run.consumersWG
	for _, sub := range s.consumers {
		s.run.consumersWG.Add(1)
		go func() {
			defer s.run.consumersWG.Done()
			if err := sub.Run(cctx); err != nil {
				s.fail(fmt.Errorf("consumer: %w", err))
			}
		}()
	}
	for _, w := range s.workers {
		s.runWorker(w)
	}
	rctx, cancelRelays := context.WithCancel(context.WithoutCancel(ctx))
	s.run.cancelRelays = cancelRelays
	for _, r := range s.relays {
		s.run.relaysWG.Add(1)
		go func() {
			defer s.run.relaysWG.Done()
			r.Run(rctx)
		}()
	}
	go s.serve("public", s.run.httpSrv, s.httpLn)
	s.ready.Store(true)
	return nil
}

// serve runs srv on ln; an unexpected end fails the service.
func (s *Service) serve(name string, srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.fail(fmt.Errorf("%s listener: %w", name, err))
	}
}

// stop shuts down whatever start brought up, in order, within
// ShutdownTimeout; it reports what did not finish in time.
func (s *Service) stop() error {
	r := s.run
	s.mu.Lock() // Go checks shuttingDown under mu before it adds a worker
	s.shuttingDown.Store(true)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	step := func(what string, fn func() error) {
		if err := fn(); err != nil {
			s.logger.Error("shutdown: "+what, "err", err)
			errs = append(errs, fmt.Errorf("shutdown: %s: %w", what, err))
		}
	}
	if d := s.cfg.ShutdownDelay; d > 0 && r.httpSrv != nil {
		// Readiness already answers 503; keep serving while the load
		// balancers notice.
		s.logger.Info("shutdown: serving while readiness turns traffic away", "delay", d)
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	if r.httpSrv != nil {
		step("draining HTTP", func() error {
			err := r.httpSrv.Shutdown(ctx)
			if err != nil {
				r.httpSrv.Close() // requests still running past the timeout
			}
			if s.httpLn != nil {
				s.httpLn.Close() // never served when start failed
			}
			return err
		})
	}
	if r.cancelConsumers != nil {
		r.cancelConsumers()
		step("finishing in-flight messages and workers", func() error { return wait(ctx, &r.consumersWG) })
	}
	if r.cancelRelays != nil {
		r.cancelRelays()
		step("stopping outbox relays", func() error { return wait(ctx, &r.relaysWG) })
	}
	if s.nc != nil {
		step("draining NATS", func() error {
			if err := s.nc.Drain(); err != nil {
				s.nc.Close()
				return err
			}
			select {
			case <-r.natsClosed:
				return nil
			case <-ctx.Done():
				s.nc.Close()
				return ctx.Err()
			}
		})
	}
	if s.db != nil {
		// Export once more while the pool is open, so the last values of
		// the gauges read from the database go out with the final flush.
		// Bounded: an unreachable collector must not eat the shutdown.
		fctx, fcancel := context.WithTimeout(ctx, 2*time.Second)
		if err := s.tel.ForceFlush(fctx); err != nil {
			s.logger.Warn("shutdown: flushing telemetry before closing the database", "err", err)
		}
		fcancel()
		step("closing database", func() error {
			done := make(chan struct{})
			go func() { s.db.Close(); close(done) }()
			select {
			case <-done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
	if r.adminSrv != nil {
		actx, acancel := context.WithTimeout(context.Background(), time.Second)
		r.adminSrv.Shutdown(actx)
		acancel()
		s.admLn.Close()
	}
	if len(errs) == 0 {
		s.logger.Info("stopped")
	}
	return errors.Join(errs...)
}

// wait waits for wg or ctx.
func wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
