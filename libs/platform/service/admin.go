package service

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"
)

// routeAdmin registers the admin listener's routes.
func (s *Service) routeAdmin() {
	s.admin.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.admin.HandleFunc("GET /readyz", s.readyz)
	s.admin.Handle("GET /metrics", s.tel.MetricsHandler())
	s.admin.HandleFunc("GET /debug/buildinfo", buildInfo)
	if s.cfg.Pprof {
		s.admin.HandleFunc("/debug/pprof/", pprof.Index)
		s.admin.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		s.admin.HandleFunc("/debug/pprof/profile", pprof.Profile)
		s.admin.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		s.admin.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
}

// readyz answers 200 when the service has started, is not shutting down,
// the database answers and NATS is connected; 503 with the failing checks
// otherwise.
func (s *Service) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{}
	ok := true
	check := func(name string, err string) {
		if err == "" {
			checks[name] = "ok"
			return
		}
		checks[name], ok = err, false
	}
	switch {
	case s.shuttingDown.Load():
		check("service", "shutting down")
	case !s.ready.Load():
		check("service", "starting")
	default:
		check("service", "")
	}
	if s.ready.Load() && !s.shuttingDown.Load() {
		if s.db != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			if err := s.db.Ready(ctx); err != nil {
				check("database", err.Error())
			} else {
				check("database", "")
			}
			cancel()
		}
		if s.nc != nil {
			if s.nc.IsConnected() {
				check("nats", "")
			} else {
				check("nats", "not connected: "+s.nc.Status().String())
			}
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ok, "checks": checks})
}

// buildInfo serves the binary's build information: Go version, main
// module, dependencies and VCS settings.
func buildInfo(w http.ResponseWriter, r *http.Request) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		http.Error(w, "no build information in this binary", http.StatusNotFound)
		return
	}
	type dep struct {
		Path    string `json:"path"`
		Version string `json:"version"`
		Sum     string `json:"sum,omitempty"`
	}
	out := struct {
		GoVersion string            `json:"go_version"`
		Path      string            `json:"path"`
		Main      dep               `json:"main"`
		Settings  map[string]string `json:"settings"`
		Deps      []dep             `json:"deps"`
	}{GoVersion: bi.GoVersion, Path: bi.Path, Main: dep{bi.Main.Path, bi.Main.Version, bi.Main.Sum}, Settings: map[string]string{}}
	for _, st := range bi.Settings {
		out.Settings[st.Key] = st.Value
	}
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		out.Deps = append(out.Deps, dep{d.Path, d.Version, d.Sum})
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
