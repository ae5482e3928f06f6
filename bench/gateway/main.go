// Command gateway-bench measures the API gateway against nginx with wrk on
// this machine, in one run: the same upstream directly, through nginx (with
// upstream keepalive), through the gateway as a plain proxy, and through the
// gateway with JWT verification plus a Redis rate limit. Targets alternate
// order across rounds and the medians are compared. A second phase offers
// half of the gateway's peak rate to every target and compares p99 latency.
//
// Run from the repository root: go run ./bench/gateway [-out report.md]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

type options struct {
	rounds       int
	duration     time.Duration
	conns        int
	threads      int
	redis        string
	out          string
	halfLoad     bool
	keep         bool
	accuracy     bool
	profile      string
	floor        bool
	adminPort    int
	accessLog    bool
	accessBuffer int
	gomaxprocs   int
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 4, "measurement rounds (targets alternate order each round)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "wrk duration per target per round")
	flag.IntVar(&o.conns, "conns", 64, "wrk connections")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.StringVar(&o.redis, "redis", envOr("CENTURIA_TEST_REDIS", "127.0.0.1:6379"), "Redis address for the rate-limited variant")
	flag.StringVar(&o.out, "out", "", "also write the results as Markdown to this file")
	flag.BoolVar(&o.halfLoad, "half-load", true, "measure p99 at half of the gateway's peak rate")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	flag.BoolVar(&o.accuracy, "accuracy", true, "measure the distributed limit across three replicas")
	flag.BoolVar(&o.accessLog, "access-log", false, "access logs on in the nginx proxy and the gateway (both buffered: 64 KiB, flushed every second)")
	flag.IntVar(&o.accessBuffer, "access-buffer", 64<<10, "the gateway's log.access_buffer with -access-log (-1: a write per line)")
	flag.IntVar(&o.gomaxprocs, "gomaxprocs", 0, "GOMAXPROCS of the gateway (0: Go's default, the number of CPUs)")
	flag.BoolVar(&o.floor, "floor", true, "also measure floorproxy, the least a Go proxy can do (a reference point, not a product)")
	flag.StringVar(&o.profile, "profile", "", "instead of measuring, write a CPU profile of the gateway under wrk on this target (plain, jwt or lease) to profile-<target>.pprof")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "gateway-bench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, o options) error {
	env, err := setup(ctx, o)
	if err != nil {
		return err
	}
	defer env.close()
	targets := env.targets()
	if o.profile != "" {
		return profile(ctx, o, env, targets)
	}
	fmt.Printf("warming up %d targets\n", len(targets))
	for _, t := range targets {
		if _, err := wrk(ctx, o, t, time.Second, 0); err != nil {
			return fmt.Errorf("warm-up %s: %w", t.name, err)
		}
	}
	peak := map[string][]result{}
	for r := 0; r < o.rounds; r++ {
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			res, err := wrk(ctx, o, t, o.duration, 0)
			if err != nil {
				return fmt.Errorf("round %d %s: %w", r+1, t.name, err)
			}
			fmt.Printf("round %d  %-22s %10.0f req/s  p50 %7s  p99 %7s  cpu/req %7s  load %s\n", r+1, t.name, res.rps,
				fmtDur(res.p50), fmtDur(res.p99), fmtDur(res.cpuPerReq), loadAvg())
			peak[t.name] = append(peak[t.name], res)
		}
	}
	var half map[string][]result
	var rate float64
	if o.halfLoad {
		rate = median(peak[targets[2].name], func(r result) float64 { return r.rps }) / 2
		half = map[string][]result{}
		for r := 0; r < 2; r++ {
			for i := range targets {
				t := targets[(i+r)%len(targets)]
				res, err := wrk(ctx, o, t, o.duration, rate)
				if err != nil {
					return fmt.Errorf("half load %s: %w", t.name, err)
				}
				fmt.Printf("half-load %d  %-18s %10.0f req/s  p50 %7s  p99 %7s\n", r+1, t.name, res.rps, fmtDur(res.p50), fmtDur(res.p99))
				half[t.name] = append(half[t.name], res)
			}
		}
	}
	var accs []accuracy
	if o.accuracy {
		for _, v := range []struct {
			backend string
			lease   int
		}{{"redis", 0}, {"redis", 10}, {"local", 0}} {
			backend := v.backend
			a, err := measureAccuracy(ctx, o, env, backend, v.lease, 1000, 100)
			if err != nil {
				return fmt.Errorf("accuracy (%s): %w", backend, err)
			}
			fmt.Printf("accuracy %-5s lease %2d  allowed %d of %d, limit allows %.0f (%+.1f%%)\n", backend, v.lease, a.allowed, a.total, a.expected,
				100*(float64(a.allowed)-a.expected)/a.expected)
			accs = append(accs, a)
		}
	}
	report := render(o, env, targets, peak, half, rate, accs)
	fmt.Println()
	fmt.Print(report)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d >= 10*time.Microsecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	default:
		return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
	}
}

func render(o options, env *environment, targets []target, peak, half map[string][]result, rate float64, accs []accuracy) string {
	var b strings.Builder
	rps := func(r result) float64 { return r.rps }
	p50 := func(r result) float64 { return float64(r.p50) }
	p99 := func(r result) float64 { return float64(r.p99) }
	nginx := median(peak["nginx"], rps)
	cpuReq := func(r result) float64 { return float64(r.cpuPerReq) }
	nginxCPU := median(peak["nginx"], cpuReq)
	fmt.Fprintf(&b, "# Gateway benchmark\n\n")
	fmt.Fprintf(&b, "`go run ./bench/gateway` — %s, %d cores, wrk -t%d -c%d, %d rounds of %s per target in alternating order, medians.\n",
		env.info, env.cpus, o.threads, o.conns, o.rounds, o.duration)
	logs, gwLogs := "no access log", "no access log"
	if o.accessLog {
		logs = "access log to a file (buffer=64k flush=1s)"
		gwLogs = fmt.Sprintf("access log to a file (access_buffer: %d)", o.accessBuffer)
	}
	fmt.Fprintf(&b, "Upstream: nginx returning a 20-byte body. nginx proxy: %d workers, upstream keepalive, keepalive_requests raised, %s.\n", env.cpus, logs)
	fmt.Fprintf(&b, "Gateway: GOMAXPROCS %d, %s, admin off; `jwt+redis` verifies an RS256 JWT from a JWKS endpoint (verified tokens are cached) and takes one Redis GCRA call per request (concurrent calls pipelined); `lease` takes 50 tokens per Redis call.\n\n", env.gomaxprocs(), gwLogs)
	if env.floorPort != 0 {
		fmt.Fprintf(&b, "`go floor (reference)` is bench/gateway/floorproxy, the least a Go program can do to proxy these requests (no validation, one pinned upstream connection per client connection): the ceiling for any Go gateway here, not a product.\n\n")
	}
	fmt.Fprintf(&b, "Load average (1 min) when the report was written: %s. CPU/req is the CPU time of the serving process (nginx: master and workers; direct: the upstream) divided by the requests of that run: unlike req/s it hardly depends on what else the machine runs.\n\n", loadAvg())
	fmt.Fprintf(&b, "| target | req/s (median) | ratio to nginx | p50 | p99 | CPU/req | CPU/req vs nginx | rounds req/s |\n|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, t := range targets {
		rs := peak[t.name]
		var all []string
		for _, r := range rs {
			all = append(all, fmt.Sprintf("%.0f", r.rps))
		}
		c := median(rs, cpuReq)
		fmt.Fprintf(&b, "| %s | %.0f | %.2f× | %s | %s | %s | %.2f× | %s |\n", t.name, median(rs, rps), median(rs, rps)/nginx,
			fmtDur(time.Duration(median(rs, p50))), fmtDur(time.Duration(median(rs, p99))), fmtDur(time.Duration(c)), c/nginxCPU, strings.Join(all, ", "))
	}
	if half != nil {
		direct := time.Duration(median(half["direct"], p99))
		fmt.Fprintf(&b, "\nHalf load: every target offered %.0f req/s (half the gateway's plain peak) with wrk's per-connection delay.\n\n", rate)
		fmt.Fprintf(&b, "| target | achieved req/s | p50 | p99 | p99 overhead vs direct |\n|---|---:|---:|---:|---:|\n")
		for _, t := range targets {
			rs := half[t.name]
			d99 := time.Duration(median(rs, p99))
			fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s |\n", t.name, median(rs, rps), fmtDur(time.Duration(median(rs, p50))),
				fmtDur(d99), fmtDur(d99-direct))
		}
	}
	if len(accs) > 0 {
		fmt.Fprintf(&b, "\nDistributed limit: three gateway replicas (separate processes), each loaded by its own wrk (-t1 -c16, %s) at the same time, one tenant, limit %d/s with burst %d.\n\n",
			o.duration, accs[0].rate, accs[0].burst)
		fmt.Fprintf(&b, "| backend | lease | requests | allowed | limit allows | deviation |\n|---|---:|---:|---:|---:|---:|\n")
		for _, a := range accs {
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %.0f | %+.1f%% |\n", a.backend, a.lease, a.total, a.allowed, a.expected, 100*(float64(a.allowed)-a.expected)/a.expected)
		}
		fmt.Fprintf(&b, "\n`local` is one bucket per replica, shown for contrast (about 3× the limit).\n")
	}
	fmt.Fprintf(&b, "\nTargets: plain ≥ 0.9× nginx req/s; jwt+redis ≥ 0.8×; p99 overhead < 1 ms at half load.\n")
	fmt.Fprintf(&b, "Absolute numbers depend on the machine and on what else runs; only the ratios of one run mean anything.\n")
	return b.String()
}

// profile loads one gateway target with wrk and saves a CPU profile of the
// gateway taken meanwhile from its admin listener.
func profile(ctx context.Context, o options, env *environment, targets []target) error {
	t := targets[2]
	switch o.profile {
	case "jwt":
		t = targets[3]
	case "lease":
		t = targets[4]
	}
	done := make(chan error, 1)
	go func() {
		_, err := wrk(ctx, o, t, o.duration+4*time.Second, 0)
		done <- err
	}()
	time.Sleep(time.Second)
	url := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", env.adminPort, int(o.duration.Seconds()))
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	name := "profile-" + o.profile + ".pprof"
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", name, "- go tool pprof -top", filepath.Join(env.dir, "gateway"), name)
	return <-done
}
