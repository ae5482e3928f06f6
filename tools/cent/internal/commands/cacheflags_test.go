package commands

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/cache/cachetest"
)

// parseCacheFlags builds a command with the cache flags, parses args and
// resolves the options against env.
func parseCacheFlags(t *testing.T, env map[string]string, args ...string) (resolvedCache, error) {
	t.Helper()
	o := &cacheOptions{getenv: func(k string) string { return env[k] }}
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	addCacheFlags(cmd, o)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return o.resolve()
}

func TestCacheFlagsEnvFallbacks(t *testing.T) {
	env := map[string]string{
		envCacheDir:       "/env/dir",
		envRemoteCache:    "http://env",
		envRemoteReadOnly: "true",
		envRemoteToken:    "tok",
		envSigningKey:     "0123456789abcdef",
	}
	r, err := parseCacheFlags(t, env)
	if err != nil {
		t.Fatal(err)
	}
	if r.opts.Dir != "/env/dir" || r.remote != "http://env" || !r.opts.RemoteReadOnly || r.cfg.Token != "tok" || string(r.opts.SigningKey) != "0123456789abcdef" {
		t.Fatalf("env fallbacks: %+v", r)
	}
	// Flags win over the environment.
	r, err = parseCacheFlags(t, env, "--cache-dir=/flag/dir", "--remote-cache=s3://b", "--remote-read-only=false", "--remote-timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	if r.opts.Dir != "/flag/dir" || r.remote != "s3://b" || r.opts.RemoteReadOnly || r.cfg.Timeout != 5*time.Second {
		t.Fatalf("flags over env: %+v", r)
	}
}

func TestCacheFlagsErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"read-only not a bool": {env: map[string]string{envRemoteReadOnly: "sometimes"}, want: envRemoteReadOnly},
		"token and user":       {env: map[string]string{envRemoteToken: "t", envRemoteUser: "u"}, want: envRemoteToken},
		"password alone":       {env: map[string]string{envRemotePassword: "p"}, want: envRemoteUser},
		"short signing key":    {env: map[string]string{envSigningKey: "short"}, want: envSigningKey},
		"negative timeout":     {args: []string{"--remote-timeout=-1s"}, want: "--remote-timeout"},
	} {
		_, err := parseCacheFlags(t, tc.env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want one naming %s", name, err, tc.want)
		}
	}
}

func TestCacheOptionsOpenRemote(t *testing.T) {
	n := cachetest.Nginx(t, cachetest.NginxOptions{User: "ci", Password: "pw"})
	env := map[string]string{envRemoteUser: "ci", envRemotePassword: "pw"}
	o := &cacheOptions{Dir: t.TempDir(), Remote: n.URL, getenv: func(k string) string { return env[k] }}
	var warn bytes.Buffer
	c, err := o.open(context.Background(), &warn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key, _, _ := cachetest.SaveSample(t, c)
	if warn.Len() != 0 {
		t.Fatalf("warnings: %s", warn.String())
	}
	// A second machine with the same remote gets the entry.
	o2 := &cacheOptions{Dir: t.TempDir(), Remote: n.URL, getenv: o.getenv}
	c2, err := o2.open(context.Background(), &warn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Lookup(context.Background(), key); err != nil {
		t.Fatalf("lookup through the remote with basic auth from the environment: %v (%s)", err, warn.String())
	}
	// Wrong credentials: the run goes on locally with one warning.
	env[envRemotePassword] = "wrong"
	o3 := &cacheOptions{Dir: t.TempDir(), Remote: n.URL, getenv: o.getenv}
	c3, err := o3.open(context.Background(), &warn)
	if err != nil {
		t.Fatal(err)
	}
	c3.Lookup(context.Background(), key)
	c3.Lookup(context.Background(), key)
	if got := strings.Count(warn.String(), "cent: cache: remote cache unavailable"); got != 1 {
		t.Fatalf("want one warning about the remote, got %d: %q", got, warn.String())
	}
	if !strings.Contains(warn.String(), "401") {
		t.Fatalf("warning does not say why: %q", warn.String())
	}
	// Unknown scheme.
	o4 := &cacheOptions{Dir: t.TempDir(), Remote: "gopher://x"}
	if _, err := o4.open(context.Background(), &warn); err == nil || !strings.Contains(err.Error(), "--remote-cache") {
		t.Fatalf("unknown scheme: %v", err)
	}
}
