package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"
)

type target struct {
	name    string
	url     string
	headers []string
	pid     int // the process (and its children) whose CPU is charged
}

type result struct {
	rps       float64
	p50, p99  time.Duration
	cpuPerReq time.Duration // CPU of the proxy process per request
}

var (
	rpsRe    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	pctRe    = regexp.MustCompile(`(?m)^\s+(50|99)\.000%\s+([0-9.]+)(us|ms|s)\s*$`)
	pctOldRe = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	errRe    = regexp.MustCompile(`Socket errors: .*`)
)

// throttle is a wrk script that waits between requests on each connection,
// which caps the offered rate at about connections/delay.
const throttle = `local d = tonumber(os.getenv("WRK_DELAY_MS"))
function delay() return d end
`

// wrk runs one measurement; rate > 0 throttles the offered load to about
// rate requests per second.
func wrk(ctx context.Context, o options, t target, d time.Duration, rate float64) (result, error) {
	args := []string{"-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.conns), "-d", fmt.Sprintf("%ds", int(math.Ceil(d.Seconds()))), "--latency"}
	for _, h := range t.headers {
		args = append(args, "-H", h)
	}
	env := os.Environ()
	if rate > 0 {
		delayMS := int(math.Round(float64(o.conns) * 1000 / rate))
		if delayMS < 1 {
			delayMS = 1
		}
		script := filepath.Join(os.TempDir(), "gateway-bench-throttle.lua")
		if err := os.WriteFile(script, []byte(throttle), 0o644); err != nil {
			return result{}, err
		}
		args = append(args, "-s", script)
		env = append(env, "WRK_DELAY_MS="+strconv.Itoa(delayMS))
	}
	args = append(args, t.url)
	cmd := exec.CommandContext(ctx, "wrk", args...)
	cmd.Env = env
	cpu0 := procCPU(t.pid)
	out, err := cmd.CombinedOutput()
	cpu := procCPU(t.pid) - cpu0
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	r, err := parseWrk(t.name, string(out))
	if err != nil {
		return result{}, err
	}
	if m := totalRe.FindStringSubmatch(string(out)); m != nil {
		if n, _ := strconv.Atoi(m[1]); n > 0 {
			r.cpuPerReq = time.Duration(cpu / float64(n) * float64(time.Second))
		}
	}
	return r, nil
}

// parseWrk reads req/s and the 50th and 99th latency percentiles from wrk
// --latency output; non-2xx responses make the measurement invalid.
func parseWrk(name, s string) (result, error) {
	if m := non2xxRe.FindStringSubmatch(s); m != nil {
		return result{}, fmt.Errorf("%s: %s non-2xx responses; the measurement is invalid\n%s", name, m[1], s)
	}
	if m := errRe.FindString(s); m != "" {
		fmt.Printf("  note (%s): %s\n", name, m)
	}
	m := rpsRe.FindStringSubmatch(s)
	if m == nil {
		return result{}, fmt.Errorf("no Requests/sec in wrk output:\n%s", s)
	}
	var r result
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	pcts := pctOldRe.FindAllStringSubmatch(s, -1)
	if len(pcts) == 0 {
		pcts = pctRe.FindAllStringSubmatch(s, -1)
	}
	for _, p := range pcts {
		v, _ := strconv.ParseFloat(p[2], 64)
		unit := map[string]float64{"us": 1e3, "ms": 1e6, "s": 1e9}[p[3]]
		dur := time.Duration(v * unit)
		if p[1] == "50" {
			r.p50 = dur
		} else {
			r.p99 = dur
		}
	}
	if r.p50 == 0 || r.p99 == 0 {
		return result{}, fmt.Errorf("no latency distribution in wrk output:\n%s", s)
	}
	return r, nil
}

func median(rs []result, f func(result) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
