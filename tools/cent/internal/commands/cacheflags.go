package commands

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
	_ "github.com/centuria/centuria/tools/cent/pkg/cache/blobstore" // file, mem
	_ "github.com/centuria/centuria/tools/cent/pkg/cache/httpstore" // http, https
)

// Environment variables read by the cache options. Secrets are taken only
// from the environment, never from flags, so they stay out of process
// listings and shell history.
const (
	envCacheDir       = "CENT_CACHE_DIR"
	envRemoteCache    = "CENT_REMOTE_CACHE"
	envRemoteReadOnly = "CENT_REMOTE_CACHE_READ_ONLY"
	envRemoteToken    = "CENT_REMOTE_CACHE_TOKEN"
	envRemoteUser     = "CENT_REMOTE_CACHE_USER"
	envRemotePassword = "CENT_REMOTE_CACHE_PASSWORD"
	envSigningKey     = "CENT_CACHE_SIGNING_KEY"
)

// minSigningKey is the shortest accepted signing key.
const minSigningKey = 16

// cacheOptions select the local cache directory and the remote cache.
// Flags win over the environment.
type cacheOptions struct {
	Dir            string
	Remote         string
	RemoteReadOnly bool
	RemoteTimeout  time.Duration
	// AsyncUpload is set by commands that prefer uploading in the
	// background (Close waits for it); it is not a flag.
	AsyncUpload bool

	// getenv reads the environment; nil means os.Getenv.
	getenv func(string) string
	// readOnlySet records that --remote-read-only was given.
	readOnlySet func() bool
}

func addCacheFlags(cmd *cobra.Command, o *cacheOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Dir, "cache-dir", "", "local cache `directory` (env "+envCacheDir+"; default: the user cache directory + /centuria)")
	f.StringVar(&o.Remote, "remote-cache", "", "remote cache `URL`: http(s):// (Bazel HTTP cache), s3://, gs://, azblob://, file:// (env "+envRemoteCache+")")
	f.BoolVar(&o.RemoteReadOnly, "remote-read-only", false, "read from the remote cache but never write to it, e.g. for untrusted pull requests (env "+envRemoteReadOnly+")")
	f.DurationVar(&o.RemoteTimeout, "remote-timeout", cache.DefaultRequestTimeout, "bound on each remote cache request")
	o.readOnlySet = func() bool { return f.Changed("remote-read-only") }
}

// resolved is cacheOptions after the environment is applied.
type resolvedCache struct {
	opts   cache.Options
	remote string
	cfg    cache.StoreConfig
}

// resolve applies the environment and validates; errors name the flag or
// variable at fault.
func (o *cacheOptions) resolve() (resolvedCache, error) {
	getenv := o.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var r resolvedCache
	r.opts.Dir = firstNonEmpty(o.Dir, getenv(envCacheDir))
	r.remote = firstNonEmpty(o.Remote, getenv(envRemoteCache))
	r.opts.RemoteReadOnly = o.RemoteReadOnly
	r.opts.AsyncUpload = o.AsyncUpload
	if o.readOnlySet == nil || !o.readOnlySet() {
		if v := getenv(envRemoteReadOnly); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return r, fmt.Errorf("%s=%q: want true or false", envRemoteReadOnly, v)
			}
			r.opts.RemoteReadOnly = b
		}
	}
	if o.RemoteTimeout < 0 {
		return r, fmt.Errorf("--remote-timeout %v: must not be negative", o.RemoteTimeout)
	}
	r.cfg = cache.StoreConfig{
		Token:    getenv(envRemoteToken),
		User:     getenv(envRemoteUser),
		Password: getenv(envRemotePassword),
		Timeout:  o.RemoteTimeout,
	}
	if r.cfg.Token != "" && r.cfg.User != "" {
		return r, fmt.Errorf("both %s and %s are set: choose bearer token or basic auth", envRemoteToken, envRemoteUser)
	}
	if r.cfg.Password != "" && r.cfg.User == "" {
		return r, fmt.Errorf("%s is set without %s", envRemotePassword, envRemoteUser)
	}
	if key := getenv(envSigningKey); key != "" {
		if len(key) < minSigningKey {
			return r, fmt.Errorf("%s: %d bytes is too short for an HMAC key (want at least %d)", envSigningKey, len(key), minSigningKey)
		}
		r.opts.SigningKey = []byte(key)
	}
	return r, nil
}

// open opens the cache these options describe. Warnings (a corrupt entry,
// a remote that is down) go to warn, one line each, prefixed "cent: cache:".
func (o *cacheOptions) open(ctx context.Context, warn io.Writer) (*cache.Cache, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	r.opts.Warn = func(format string, args ...any) {
		msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(warn, "cent: cache: %s\n", msg)
	}
	if r.remote != "" {
		s, err := cache.OpenStore(ctx, r.remote, r.cfg)
		if err != nil {
			return nil, fmt.Errorf("--remote-cache: %w", err)
		}
		r.opts.Remote = s
	}
	c, err := cache.Open(ctx, r.opts)
	if err != nil {
		if r.opts.Remote != nil {
			if cl, ok := r.opts.Remote.(io.Closer); ok {
				cl.Close()
			}
		}
		return nil, fmt.Errorf("--cache-dir: %w", err)
	}
	return c, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
