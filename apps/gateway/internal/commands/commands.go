// Package commands is the gateway's command line: flag parsing and wiring,
// nothing else. "gateway -check config.yaml" validates; "gateway
// config.yaml" serves.
package commands

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/centuria/centuria/apps/gateway/internal/auth"
	"github.com/centuria/centuria/apps/gateway/internal/config"
	"github.com/centuria/centuria/apps/gateway/internal/gateway"
	"github.com/centuria/centuria/apps/gateway/internal/logbuf"
)

// Options are the gateway's flags.
type Options struct {
	Check  bool
	Config string
}

// AddFlags registers the options on fs.
func AddFlags(fs *flag.FlagSet, o *Options) {
	fs.BoolVar(&o.Check, "check", false, "validate the configuration (and API key files) and exit")
}

// Run parses args and runs the gateway until ctx ends. It returns the
// process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gateway [-check] config.yaml")
		fs.PrintDefaults()
	}
	var o Options
	AddFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	o.Config = fs.Arg(0)
	cfg, err := config.Load(o.Config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if o.Check {
		if err := checkFiles(cfg); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: OK (%d routes, sha256 %s)\n", o.Config, len(cfg.Routes), cfg.Hash)
		return 0
	}
	return serve(ctx, cfg, stdout, stderr)
}

// checkFiles validates the files the configuration refers to.
func checkFiles(cfg *config.Config) error {
	if k := cfg.Auth.APIKeys; k != nil {
		v := ""
		if k.Env != "" {
			v = os.Getenv(k.Env)
		}
		if _, err := auth.LoadAPIKeys(k.File, k.Env, v); err != nil {
			return err
		}
	}
	return nil
}

func serve(ctx context.Context, cfg *config.Config, stdout, stderr io.Writer) int {
	var lvl slog.Level
	if cfg.Log.Level != "" {
		_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	access := stdout
	if cfg.Log.AccessBuffer > 0 {
		lb := logbuf.New(stdout, cfg.Log.AccessBuffer, time.Second)
		defer lb.Close()
		access = lb
	}
	stopTracing, err := setupTracing(ctx, os.Getenv)
	if err != nil {
		log.Error("tracing disabled", "err", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stopTracing(sctx)
	}()
	g, err := gateway.New(cfg, gateway.Options{Log: log, AccessLog: access, TracerProvider: otel.GetTracerProvider(),
		Propagator: otel.GetTextMapPropagator(), Getenv: os.Getenv})
	if err != nil {
		log.Error("starting gateway", "err", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if err := g.Run(ctx, hup); err != nil {
		log.Error("gateway stopped", "err", err)
		return 1
	}
	return 0
}
