package service

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/centuria/centuria/libs/platform/telemetry"
)

// ErrInvalidConfig is wrapped by every configuration error; the message
// names the environment variable.
var ErrInvalidConfig = errors.New("invalid service config")

// Environment variables read by ConfigFromEnv, besides the DATABASE_* of
// postgres.ConfigFromEnv and the OTEL_* of telemetry.ConfigFromEnv.
const (
	EnvServiceName     = "SERVICE_NAME"
	EnvHTTPAddr        = "HTTP_ADDR"
	EnvAdminAddr       = "ADMIN_ADDR"
	EnvShutdownTimeout = "SHUTDOWN_TIMEOUT"
	EnvShutdownDelay   = "SHUTDOWN_DELAY"
	EnvNATSURL         = "NATS_URL"
	EnvDatabaseMigrate = "DATABASE_MIGRATE"
	EnvAdminPprof      = "ADMIN_PPROF"
	EnvLogLevel        = "LOG_LEVEL"
)

// Defaults of the environment variables.
const (
	DefaultHTTPAddr        = ":8080"
	DefaultAdminAddr       = ":9090"
	DefaultShutdownTimeout = 20 * time.Second
	DefaultNATSURL         = "nats://127.0.0.1:4222"
)

// Config is a service's runtime configuration.
type Config struct {
	// Name is the service name (SERVICE_NAME, default Spec.Name).
	Name string
	// HTTPAddr is the public listener's address (HTTP_ADDR, default :8080).
	HTTPAddr string
	// AdminAddr is the admin listener's address: health, readiness,
	// metrics, build info and, with Pprof, profiles (ADMIN_ADDR, default
	// :9090).
	AdminAddr string
	// ShutdownTimeout bounds the graceful shutdown (SHUTDOWN_TIMEOUT,
	// default 20s).
	ShutdownTimeout time.Duration
	// ShutdownDelay is how long the public listener keeps serving after
	// readiness turned 503, so that load balancers and Kubernetes
	// endpoints stop sending traffic before it drains (SHUTDOWN_DELAY,
	// default 0; in Kubernetes a few seconds). It counts within
	// ShutdownTimeout.
	ShutdownDelay time.Duration
	// NATSURL is the NATS server URL (NATS_URL, default
	// nats://127.0.0.1:4222).
	NATSURL string
	// Database is the pool configuration; HasDatabase is false when
	// DATABASE_URL is not set.
	Database    postgres.Config
	HasDatabase bool
	// Migrate applies Spec.Migrations at start (DATABASE_MIGRATE, default
	// true).
	Migrate bool
	// Pprof serves /debug/pprof/ on the admin listener (ADMIN_PPROF,
	// default false).
	Pprof bool
	// LogLevel is the lowest level logged (LOG_LEVEL, default info).
	LogLevel slog.Level
	// Telemetry is read from the OTEL_* variables.
	Telemetry telemetry.Config
}

// ConfigFromEnv reads the configuration of a service named name through
// lookup (os.LookupEnv in Main). A bad value is an error wrapping
// ErrInvalidConfig (or postgres.ErrInvalidConfig, telemetry.ErrInvalidConfig)
// that names the variable.
func ConfigFromEnv(name string, lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) (string, bool) {
		v, ok := lookup(k)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	bad := func(k, v, why string) error {
		return fmt.Errorf("%w: %s=%q: %s", ErrInvalidConfig, k, v, why)
	}
	c := Config{
		Name: name, HTTPAddr: DefaultHTTPAddr, AdminAddr: DefaultAdminAddr,
		ShutdownTimeout: DefaultShutdownTimeout, NATSURL: DefaultNATSURL, Migrate: true,
	}
	if v, ok := get(EnvServiceName); ok {
		c.Name = v
	}
	if !validName(c.Name) {
		if _, ok := get(EnvServiceName); ok {
			return Config{}, bad(EnvServiceName, c.Name, "want lower-case letters, digits and '-'")
		}
		return Config{}, fmt.Errorf("%w: Spec.Name %q: want lower-case letters, digits and '-' (or set %s)", ErrInvalidConfig, c.Name, EnvServiceName)
	}
	for _, a := range []struct {
		env string
		dst *string
	}{{EnvHTTPAddr, &c.HTTPAddr}, {EnvAdminAddr, &c.AdminAddr}} {
		v, ok := get(a.env)
		if !ok {
			continue
		}
		if _, port, err := net.SplitHostPort(v); err != nil {
			return Config{}, bad(a.env, v, "want host:port or :port")
		} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
			return Config{}, bad(a.env, v, "port is not a number in 0..65535")
		}
		*a.dst = v
	}
	if v, ok := get(EnvShutdownTimeout); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, bad(EnvShutdownTimeout, v, "want a positive duration such as 20s")
		}
		c.ShutdownTimeout = d
	}
	if v, ok := get(EnvShutdownDelay); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return Config{}, bad(EnvShutdownDelay, v, "want a duration such as 5s (0 for none)")
		}
		c.ShutdownDelay = d
	}
	if c.ShutdownDelay >= c.ShutdownTimeout {
		return Config{}, bad(EnvShutdownDelay, c.ShutdownDelay.String(), "must be shorter than "+EnvShutdownTimeout+" ("+c.ShutdownTimeout.String()+")")
	}
	if v, ok := get(EnvNATSURL); ok {
		for _, u := range strings.Split(v, ",") {
			if !strings.Contains(u, "://") || strings.HasSuffix(u, "://") {
				return Config{}, bad(EnvNATSURL, v, "want nats://host:port (comma-separated for a cluster)")
			}
		}
		c.NATSURL = v
	}
	for _, b := range []struct {
		env string
		dst *bool
	}{{EnvDatabaseMigrate, &c.Migrate}, {EnvAdminPprof, &c.Pprof}} {
		v, ok := get(b.env)
		if !ok {
			continue
		}
		x, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, bad(b.env, v, "want true or false")
		}
		*b.dst = x
	}
	if v, ok := get(EnvLogLevel); ok {
		l, err := telemetry.ParseLevel(v)
		if err != nil {
			return Config{}, bad(EnvLogLevel, v, "want debug, info, warn or error")
		}
		c.LogLevel = l
	}
	if _, ok := get(postgres.EnvURL); ok {
		db, err := postgres.ConfigFromEnv(lookup)
		if err != nil {
			return Config{}, err
		}
		c.Database, c.HasDatabase = db, true
	} else {
		// The other DATABASE_* variables are still checked, so a typo
		// is not silently ignored until DATABASE_URL is set.
		_, err := postgres.ConfigFromEnv(func(k string) (string, bool) {
			if k == postgres.EnvURL {
				return "postgres://unset", true
			}
			return lookup(k)
		})
		if err != nil {
			return Config{}, err
		}
	}
	tc, err := telemetry.ConfigFromEnv(c.Name, lookup)
	if err != nil {
		return Config{}, err
	}
	tc.LogLevel = c.LogLevel
	c.Telemetry = tc
	return c, nil
}

// validName reports whether s is a usable service name: it becomes the
// NATS connection name, the CloudEvents source and the default role and
// database name.
func validName(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
