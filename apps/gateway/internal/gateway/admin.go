package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ConfigStatus is the admin view of the active configuration.
type ConfigStatus struct {
	Version   int64     `json:"version"`
	Hash      string    `json:"hash"`
	Path      string    `json:"path"`
	LoadedAt  time.Time `json:"loaded_at"`
	LastError string    `json:"last_error,omitempty"`
}

// Status returns the active configuration's version and hash, and the error
// of the last rejected reload, if any since.
func (g *Gateway) Status() ConfigStatus {
	cfg := g.Config()
	st := ConfigStatus{Version: g.version.Load(), Hash: cfg.Hash, Path: cfg.Path}
	if t := g.loadedAt.Load(); t != nil {
		st.LoadedAt = *t
	}
	if e := g.lastErr.Load(); e != nil {
		st.LastError = *e
	}
	return st
}

// Ready reports whether the gateway should receive traffic: not draining,
// and its JWKS (when configured) loaded.
func (g *Gateway) Ready() (bool, string) {
	if g.draining.Load() {
		return false, "draining"
	}
	j := g.cur.Load().jwks
	if j != nil && !j.jwks.Loaded() {
		return false, "JWKS not loaded"
	}
	return true, "ready"
}

// AdminHandler serves /healthz, /readyz, /metrics and /config.
func (g *Gateway) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := g.Ready()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(why + "\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(g.Status())
	})
	if g.Config().Admin.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}
