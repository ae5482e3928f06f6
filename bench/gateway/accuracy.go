package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// accuracy is the distributed rate-limit measurement: three gateway
// replicas share one limit, each loaded by its own wrk at the same time.
type accuracy struct {
	backend  string
	lease    int
	rate     int
	burst    int
	allowed  int
	total    int
	window   time.Duration
	expected float64
}

var (
	totalRe = regexp.MustCompile(`(\d+) requests in`)
)

// measureAccuracy runs three replicas with backend ("redis" or "local") and
// a limit of rate/s (burst burst) keyed by one tenant header, and counts
// the 200s against what the limit allows over the measured window.
func measureAccuracy(ctx context.Context, o options, e *environment, backend string, lease, rate, burst int) (accuracy, error) {
	a := accuracy{backend: backend, lease: lease, rate: rate, burst: burst}
	var ports []int
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Signal(os.Interrupt)
			_ = p.Wait()
		}
	}()
	prefix := fmt.Sprintf("gateway-bench-acc-%d:", time.Now().UnixNano())
	for i := 0; i < 3; i++ {
		port, err := freePort()
		if err != nil {
			return a, err
		}
		cfg := fmt.Sprintf(`server:
  addr: 127.0.0.1:%d
admin:
  addr: "off"
log:
  access: false
  level: error
redis:
  addr: %q
  key_prefix: %q
  timeout: 2s
rate_limits:
  tenant:
    rate: %d
    period: 1s
    burst: %d
    key: header:X-Tenant
    backend: %s
    lease: %d
    on_redis_error: fail_closed
routes:
  - name: limited
    path_prefix: /
    upstreams: ["http://127.0.0.1:%d"]
    rate_limit: tenant
`, port, o.redis, fmt.Sprintf("%s%d:", prefix, lease), rate, burst, backend, lease, e.upPort)
		path := filepath.Join(e.dir, fmt.Sprintf("acc-%s-%d-%d.yaml", backend, lease, i))
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			return a, err
		}
		cmd := exec.Command(filepath.Join(e.dir, "gateway"), path)
		if err := cmd.Start(); err != nil {
			return a, err
		}
		procs = append(procs, cmd)
		if err := waitPort(ctx, port); err != nil {
			return a, err
		}
		ports = append(ports, port)
	}
	var wg sync.WaitGroup
	outs := make([]string, 3)
	errs := make([]error, 3)
	start := time.Now()
	for i, port := range ports {
		wg.Add(1)
		go func(i, port int) {
			defer wg.Done()
			out, err := exec.CommandContext(ctx, "wrk", "-t1", "-c16", fmt.Sprintf("-d%ds", int(o.duration.Seconds())),
				"-H", "X-Tenant: acme", fmt.Sprintf("http://127.0.0.1:%d/", port)).CombinedOutput()
			outs[i], errs[i] = string(out), err
		}(i, port)
	}
	wg.Wait()
	a.window = time.Since(start)
	for i, out := range outs {
		if errs[i] != nil {
			return a, fmt.Errorf("wrk: %v\n%s", errs[i], out)
		}
		m := totalRe.FindStringSubmatch(out)
		if m == nil {
			return a, fmt.Errorf("no request count in wrk output:\n%s", out)
		}
		n, _ := strconv.Atoi(m[1])
		rejected := 0
		if m := non2xxRe.FindStringSubmatch(out); m != nil {
			rejected, _ = strconv.Atoi(m[1])
		}
		a.total += n
		a.allowed += n - rejected
	}
	// wrk runs for its duration; the window measured around the three runs
	// is slightly longer (process start), so expected is an upper bound.
	a.expected = float64(burst) + float64(rate)*o.duration.Seconds()
	return a, nil
}
