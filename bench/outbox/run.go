package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// options are the command-line flags.
type options struct {
	pgURL     string
	natsURL   string
	events    int
	producers []int
	rate      int
	size      int
	systems   []string
	drain     bool
	perTx     int
	cpuProf   string
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	var o options
	var producers, systems string
	fs.StringVar(&o.pgURL, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "admin URL of the PostgreSQL server (a fresh database is created per run)")
	fs.StringVar(&o.natsURL, "nats", "nats://127.0.0.1:4222", "NATS server with JetStream")
	fs.IntVar(&o.events, "events", 20000, "events per scenario")
	fs.StringVar(&producers, "producers", "1,4,16", "comma-separated producer counts")
	fs.IntVar(&o.rate, "rate", 5000, "target events/s of the paced latency scenario (0 skips it)")
	fs.IntVar(&o.size, "size", 200, "payload bytes per event")
	fs.StringVar(&systems, "systems", "centuria,watermill", "systems to run")
	fs.BoolVar(&o.drain, "drain", true, "also measure relay-only drain of a pre-filled outbox")
	fs.IntVar(&o.perTx, "per-tx", 1, "events (each with a business row) per transaction")
	fs.StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile of this process (producers, relay and observer) to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, p := range strings.Split(producers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 256 {
			return o, fmt.Errorf("-producers: %q is not a count in 1..256", p)
		}
		o.producers = append(o.producers, n)
	}
	for _, s := range strings.Split(systems, ",") {
		if s != "centuria" && s != "centuria-poll" && s != "watermill" {
			return o, fmt.Errorf("-systems: unknown system %q (want centuria, centuria-poll, watermill)", s)
		}
		o.systems = append(o.systems, s)
	}
	if o.events < 100 || o.size < 16 || o.rate < 0 || o.perTx < 1 || o.perTx > 1000 {
		return o, errors.New("-events must be >= 100, -size >= 16, -rate >= 0, -per-tx in 1..1000")
	}
	return o, nil
}

// scenario is one measured configuration.
type scenario struct {
	name      string
	producers int
	rate      int  // events/s across producers; 0 = as fast as possible
	drain     bool // fill the outbox first, then start the relay
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if o.cpuProf != "" {
		f, err := os.Create(o.cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var scenarios []scenario
	for _, p := range o.producers {
		scenarios = append(scenarios, scenario{name: fmt.Sprintf("P=%d", p), producers: p})
	}
	if o.rate > 0 {
		scenarios = append(scenarios, scenario{name: fmt.Sprintf("P=16 paced %d/s", o.rate), producers: 16, rate: o.rate})
	}
	if o.drain {
		scenarios = append(scenarios, scenario{name: "relay drain", producers: 4, drain: true})
	}
	fmt.Fprintf(out, "%d events of %d B per scenario, %d per transaction (each with a business row); file-storage stream.\n\n", o.events, o.size, o.perTx)
	fmt.Fprintln(out, "| scenario | system | committed/s | events/s in stream | p50 | p99 | max | lost | dup | ratio |")
	fmt.Fprintln(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, sc := range scenarios {
		var results []result
		for _, sys := range o.systems {
			r, err := runOne(ctx, o, sc, sys)
			if err != nil {
				return fmt.Errorf("%s %s: %w", sc.name, sys, err)
			}
			results = append(results, r)
		}
		var base float64
		for _, r := range results {
			if r.system == "watermill" {
				base = r.rate
			}
		}
		for _, r := range results {
			ratio := "-"
			if base > 0 {
				ratio = fmt.Sprintf("%.1f×", r.rate/base)
			}
			p50, p99, pmax := ms(r.p50), ms(r.p99), ms(r.max)
			if sc.drain {
				p50, p99, pmax = "-", "-", "-" // the relay starts after the commits
			}
			fmt.Fprintf(out, "| %s | %s | %.0f | %.0f | %s | %s | %s | %d | %d | %s |\n", sc.name, r.system, r.produced, r.rate,
				p50, p99, pmax, r.lost, r.dup, ratio)
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// system is one outbox implementation under test.
type system interface {
	// setup creates tables and the stream.
	setup(ctx context.Context) error
	// write adds one event in tx.
	write(ctx context.Context, tx pgx.Tx, id string, aggregate string, payload []byte) error
	// start starts relaying; stop stops it.
	start(ctx context.Context) (stop func(), err error)
	// stream is the stream the events land in; id extracts an event's id.
	stream() string
	id(m jetstream.Msg) string
}

func runOne(ctx context.Context, o options, sc scenario, name string) (result, error) {
	env, cleanup, err := newEnv(ctx, o)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	var sys system
	switch name {
	case "centuria":
		sys = &centuria{env: env}
	case "centuria-poll":
		sys = &centuria{env: env, poll: true}
	case "watermill":
		sys = &watermillSys{env: env}
	}
	if err := sys.setup(ctx); err != nil {
		return result{}, fmt.Errorf("setup: %w", err)
	}
	obs, err := observe(ctx, env.js, sys)
	if err != nil {
		return result{}, err
	}
	defer obs.stop()
	var stopRelay func()
	if !sc.drain {
		if stopRelay, err = sys.start(ctx); err != nil {
			return result{}, err
		}
	}
	start := time.Now()
	commits, err := produce(ctx, env.pool, sys, sc, o)
	if err != nil {
		return result{}, err
	}
	produced := float64(len(commits)) / time.Since(start).Seconds()
	if sc.drain {
		start = time.Now()
		if stopRelay, err = sys.start(ctx); err != nil {
			return result{}, err
		}
	}
	obs.wait(ctx, len(commits))
	stopRelay()
	r := obs.result(name, start, commits, sc.drain)
	r.produced = produced
	return r, nil
}

// env is one scenario's database and NATS connection.
type env struct {
	adminURL, dbURL string
	pool            *pgxpool.Pool
	nc              *nats.Conn
	js              jetstream.JetStream
	name            string
	size            int
}

func newEnv(ctx context.Context, o options) (*env, func(), error) {
	var b [4]byte
	rand.Read(b[:])
	name := "bench_outbox_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, o.pgURL)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, nil, fmt.Errorf("creating database: %w", err)
	}
	u, err := url.Parse(o.pgURL)
	if err != nil {
		return nil, nil, err
	}
	u.Path = "/" + name
	e := &env{adminURL: o.pgURL, dbURL: u.String(), name: name, size: o.size}
	cleanup := func() {
		if e.pool != nil {
			e.pool.Close()
		}
		if e.nc != nil {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			e.js.DeleteStream(c, strings.ToUpper(name))
			cancel()
			e.nc.Close()
		}
		c, err := pgx.Connect(context.Background(), o.pgURL)
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}
	pc, err := pgxpool.ParseConfig(e.dbURL)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	pc.MaxConns = 40
	if e.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		cleanup()
		return nil, nil, err
	}
	if _, err := e.pool.Exec(ctx, "CREATE TABLE orders (id uuid PRIMARY KEY, aggregate text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"); err != nil {
		cleanup()
		return nil, nil, err
	}
	if e.nc, err = nats.Connect(o.natsURL); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("connecting to NATS: %w", err)
	}
	if e.js, err = jetstream.New(e.nc); err != nil {
		cleanup()
		return nil, nil, err
	}
	return e, cleanup, nil
}
