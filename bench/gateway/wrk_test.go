package main

import (
	"strings"
	"testing"
	"time"
)

const sample = `Running 5s test @ http://127.0.0.1:1/plain
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.92ms    8.92ms  68.82ms   89.38%
    Req/Sec     9.27k     3.26k   14.74k    60.00%
  Latency Distribution
     50%  612.00us
     75%    6.80ms
     90%   15.46ms
     99%    1.20s
  18850 requests in 1.04s, 4.31MB read
Requests/sec:  18071.06
Transfer/sec:      4.14MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk("x", sample)
	if err != nil {
		t.Fatal(err)
	}
	if r.rps != 18071.06 || r.p50 != 612*time.Microsecond || r.p99 != 1200*time.Millisecond {
		t.Fatalf("%+v", r)
	}
	bad := strings.Replace(sample, "  18850 requests", "  Non-2xx or 3xx responses: 7\n  18850 requests", 1)
	if _, err := parseWrk("x", bad); err == nil || !strings.Contains(err.Error(), "7 non-2xx") {
		t.Fatalf("non-2xx accepted: %v", err)
	}
	if _, err := parseWrk("x", "garbage"); err == nil {
		t.Fatal("garbage accepted")
	}
	if _, err := parseWrk("x", "Requests/sec: 5\n"); err == nil {
		t.Fatal("output without percentiles accepted")
	}
}

func TestMedian(t *testing.T) {
	rps := func(r result) float64 { return r.rps }
	if m := median([]result{{rps: 3}, {rps: 1}, {rps: 2}}, rps); m != 2 {
		t.Fatal(m)
	}
	if m := median([]result{{rps: 4}, {rps: 1}, {rps: 2}, {rps: 3}}, rps); m != 2.5 {
		t.Fatal(m)
	}
	if m := median(nil, rps); m != 0 {
		t.Fatal(m)
	}
}
