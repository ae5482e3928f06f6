package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

func runCent(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestCacheStatsAndPrune(t *testing.T) {
	dir := t.TempDir()
	c, err := cache.Open(context.Background(), cache.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cachetest.SaveSample(t, c)
	cachetest.SaveSample(t, c)

	out, errOut, code := runCent(t, "cache", "stats", "--cache-dir", dir)
	if code != 0 || !strings.Contains(out, "entries    2") || !strings.Contains(out, dir) {
		t.Fatalf("stats: code %d\n%s%s", code, out, errOut)
	}
	out, _, code = runCent(t, "cache", "stats", "--json", "--cache-dir", dir)
	var st map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st["entries"] != 2.0 {
		t.Fatalf("stats --json: %d %s", code, out)
	}
	// Nothing is older than a week.
	out, _, code = runCent(t, "cache", "prune", "--max-age", "7d", "--cache-dir", dir)
	if code != 0 || !strings.HasPrefix(out, "removed 0 entries and 0 blobs") {
		t.Fatalf("prune by age: %d %s", code, out)
	}
	out, _, code = runCent(t, "cache", "prune", "--max-size", "1B", "--dry-run", "--cache-dir", dir)
	if code != 0 || !strings.HasPrefix(out, "would remove 2 entries") {
		t.Fatalf("prune --dry-run: %d %s", code, out)
	}
	out, _, code = runCent(t, "cache", "prune", "--max-size", "1B", "--json", "--cache-dir", dir)
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res["removed_entries"] != 2.0 {
		t.Fatalf("prune --max-size: %d %s", code, out)
	}
	out, _, _ = runCent(t, "cache", "stats", "--cache-dir", dir)
	if !strings.Contains(out, "entries    0") {
		t.Fatalf("after prune: %s", out)
	}
}

func TestCachePruneBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"cache", "prune"},
		{"cache", "prune", "--max-size", "ten"},
		{"cache", "prune", "--max-size", "-5GB"},
		{"cache", "prune", "--max-age", "forever"},
		{"cache", "prune", "--max-age", "0d"},
	} {
		_, errOut, code := runCent(t, append(args, "--cache-dir", t.TempDir())...)
		if code == 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestParseSizeAndAge(t *testing.T) {
	for in, want := range map[string]int64{
		"10GB": 10e9, "512MiB": 512 << 20, "1.5G": 3 << 29, "1048576": 1 << 20, "2 kb": 2000, "7b": 7,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]time.Duration{"168h": 168 * time.Hour, "7d": 7 * 24 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if formatSize(1536) != "1.5 KiB" || formatSize(10) != "10 B" {
		t.Errorf("formatSize: %s, %s", formatSize(1536), formatSize(10))
	}
}
