package gateway_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/centuria/centuria/apps/gateway/internal/gateway"
	"github.com/centuria/centuria/internal/testenv"
)

func TestRateLimitHeadersAndTrustedProxies(t *testing.T) {
	up := newUpstream(t, "u")
	yaml := func(trusted string) string {
		return fmt.Sprintf(`
server:
  addr: 127.0.0.1:0
  trusted_proxies: [%s]
rate_limits:
  two:
    rate: 2
    period: 1h
    key: ip
routes:
  - name: r
    path_prefix: /
    upstreams: [%q]
    rate_limit: two
`, trusted, up.URL)
	}
	// Untrusted peer: spoofed X-Forwarded-For values all share the peer's bucket.
	g := startGateway(t, yaml(`"10.9.9.9"`), gateway.Options{})
	codes := []int{}
	var last *http.Response
	for i := 0; i < 3; i++ {
		resp, _ := get(t, g.url("/"), map[string]string{"X-Forwarded-For": "203.0.113." + strconv.Itoa(i)})
		codes = append(codes, resp.StatusCode)
		last = resp
		if i == 0 && (resp.Header.Get("RateLimit-Limit") != "2" || resp.Header.Get("RateLimit-Remaining") != "1" || resp.Header.Get("RateLimit-Reset") == "") {
			t.Fatalf("RateLimit headers: %v", resp.Header)
		}
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Fatalf("spoofed XFF escaped the limit: %v", codes)
	}
	if ra, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("Retry-After %q", last.Header.Get("Retry-After"))
	}

	// Trusted peer: the client address comes from X-Forwarded-For.
	g2 := startGateway(t, yaml(`"127.0.0.1/32"`), gateway.Options{})
	for i := 0; i < 3; i++ {
		resp, _ := get(t, g2.url("/"), map[string]string{"X-Forwarded-For": "203.0.113." + strconv.Itoa(i)})
		if resp.StatusCode != 200 {
			t.Fatalf("client %d limited through a trusted proxy: %d", i, resp.StatusCode)
		}
	}
	if got := up.lastRequest().Header.Get("X-Forwarded-For"); got != "203.0.113.2, 127.0.0.1" {
		t.Fatalf("XFF chain through trusted proxy %q", got)
	}
}

// TestThreeReplicasShareOneRedisLimit runs three gateway replicas against
// the machine's Redis and measures how many requests pass a shared limit of
// 100: GCRA in one atomic script must hold it within ±5%. The same load on
// local per-replica buckets is shown for comparison (3× the limit).
func TestThreeReplicasShareOneRedisLimit(t *testing.T) {
	up := newUpstream(t, "u")
	addr, prefix := testenv.Redis(t)
	const limit = 100
	run := func(backend string, lease int) int {
		var reps []*gw
		for i := 0; i < 3; i++ {
			reps = append(reps, startGateway(t, fmt.Sprintf(`
redis:
  addr: %q
  key_prefix: %q
  timeout: 2s
rate_limits:
  shared:
    rate: %d
    period: 1h
    key: header:X-Tenant
    backend: %s
    lease: %d
    on_redis_error: fail_closed
routes:
  - name: r
    path_prefix: /
    upstreams: [%q]
    rate_limit: shared
`, addr, fmt.Sprintf("%s%s%d:", prefix, backend, lease), limit, backend, lease, up.URL), gateway.Options{}))
		}
		var passed, other atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 12; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				g := reps[w%3]
				for j := 0; j < 25; j++ {
					req, _ := http.NewRequest("GET", g.url("/"), nil)
					req.Header.Set("X-Tenant", "acme")
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					switch resp.StatusCode {
					case 200:
						passed.Add(1)
					case 429:
					default:
						other.Add(1)
					}
				}
			}(w)
		}
		wg.Wait()
		if other.Load() != 0 {
			t.Fatalf("%s: %d responses neither 200 nor 429", backend, other.Load())
		}
		return int(passed.Load())
	}
	shared := run("redis", 0)
	leased := run("redis", 5)
	local := run("local", 0)
	t.Logf("300 requests over 3 replicas, limit %d: redis GCRA passed %d (%.1f%%), with leases of 5 %d, local buckets passed %d",
		limit, shared, 100*float64(shared)/limit, leased, local)
	if shared < limit*95/100 || shared > limit*105/100 {
		t.Fatalf("shared limit passed %d, want %d ±5%%", shared, limit)
	}
	if leased < limit*95/100 || leased > limit {
		t.Fatalf("leased limit passed %d, want %d -5%%..0", leased, limit)
	}
	if local != 3*limit {
		t.Fatalf("local buckets passed %d, want %d (one bucket per replica)", local, 3*limit)
	}
}

func TestRedisDownFailureModes(t *testing.T) {
	up := newUpstream(t, "u")
	modes := map[string]int{"fail_open": 200, "fail_closed": 503}
	for mode, want := range modes {
		g := startGateway(t, fmt.Sprintf(`
redis:
  addr: 127.0.0.1:1
rate_limits:
  p:
    rate: 1
    period: 1h
    backend: redis
    on_redis_error: %s
routes:
  - name: r
    path_prefix: /
    upstreams: [%q]
    rate_limit: p
`, mode, up.URL), gateway.Options{})
		for i := 0; i < 3; i++ {
			if resp, _ := get(t, g.url("/"), nil); resp.StatusCode != want {
				t.Fatalf("%s: request %d got %d, want %d", mode, i, resp.StatusCode, want)
			}
		}
	}
	// Local fallback with limit/N: rate 4 over 2 replicas gives 2 per replica.
	g := startGateway(t, fmt.Sprintf(`
redis:
  addr: 127.0.0.1:1
rate_limits:
  p:
    rate: 4
    period: 1h
    backend: redis
    on_redis_error: local
    replicas: 2
routes:
  - name: r
    path_prefix: /
    upstreams: [%q]
    rate_limit: p
`, up.URL), gateway.Options{})
	codes := []int{}
	for i := 0; i < 3; i++ {
		resp, _ := get(t, g.url("/"), nil)
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Fatalf("local fallback: %v", codes)
	}
}
