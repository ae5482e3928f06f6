package postgres

import (
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvURL               = "DATABASE_URL"
	EnvDirectURL         = "DATABASE_DIRECT_URL"
	EnvPgBouncer         = "DATABASE_PGBOUNCER"
	EnvPoolMin           = "DATABASE_POOL_MIN"
	EnvPoolMax           = "DATABASE_POOL_MAX"
	EnvMaxConnLifetime   = "DATABASE_POOL_MAX_LIFETIME"
	EnvLifetimeJitter    = "DATABASE_POOL_LIFETIME_JITTER"
	EnvMaxConnIdleTime   = "DATABASE_POOL_MAX_IDLE"
	EnvHealthCheckPeriod = "DATABASE_POOL_HEALTH_CHECK"
	EnvStatementTimeout  = "DATABASE_STATEMENT_TIMEOUT"
	EnvApplicationName   = "DATABASE_APPLICATION_NAME"
)

// Defaults applied by Config.withDefaults to zero fields.
const (
	DefaultMaxConns          = 10
	DefaultMaxConnLifetime   = 30 * time.Minute
	DefaultLifetimeJitter    = 5 * time.Minute
	DefaultMaxConnIdleTime   = 5 * time.Minute
	DefaultHealthCheckPeriod = 30 * time.Second
)

// Config describes one service's connection pool. The zero value of every
// field but URL means the documented default.
type Config struct {
	// URL is the pooled connection URL (DATABASE_URL). Through PgBouncer it
	// points at PgBouncer.
	URL string
	// DirectURL is a URL straight to PostgreSQL (DATABASE_DIRECT_URL), used
	// for anything that needs a session: LISTEN/NOTIFY, session advisory
	// locks, migrations. It defaults to URL unless PgBouncer is set.
	DirectURL string
	// PgBouncer selects the PgBouncer transaction-mode profile
	// (DATABASE_PGBOUNCER=true): statements run with QueryExecModeExec, no
	// statement or description cache, and no session state is sent.
	PgBouncer bool
	// MinConns is the number of connections kept open (DATABASE_POOL_MIN).
	MinConns int32
	// MaxConns caps the pool (DATABASE_POOL_MAX, default 10).
	MaxConns int32
	// MaxConnLifetime closes connections older than this
	// (DATABASE_POOL_MAX_LIFETIME, default 30m).
	MaxConnLifetime time.Duration
	// MaxConnLifetimeJitter spreads closes over this extra random time so
	// replicas do not reconnect in lockstep (DATABASE_POOL_LIFETIME_JITTER,
	// default 5m).
	MaxConnLifetimeJitter time.Duration
	// MaxConnIdleTime closes idle connections (DATABASE_POOL_MAX_IDLE,
	// default 5m).
	MaxConnIdleTime time.Duration
	// HealthCheckPeriod is how often idle connections are checked
	// (DATABASE_POOL_HEALTH_CHECK, default 30s).
	HealthCheckPeriod time.Duration
	// StatementTimeout, when set, is sent as the session's
	// statement_timeout (DATABASE_STATEMENT_TIMEOUT). PgBouncer cannot carry
	// it: with PgBouncer set it is an error; set it on the role instead
	// (Provision with WithStatementTimeout).
	StatementTimeout time.Duration
	// ApplicationName is reported in pg_stat_activity
	// (DATABASE_APPLICATION_NAME).
	ApplicationName string
}

// ConfigFromEnv reads a Config from environment variables through lookup
// (os.LookupEnv in main). Errors wrap ErrInvalidConfig and name the variable.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	var err error
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok {
			*dst = v
		}
	}
	integer := func(name string, dst *int32) {
		v, ok := lookup(name)
		if !ok || err != nil {
			return
		}
		n, perr := strconv.ParseInt(v, 10, 32)
		if perr != nil {
			err = fmt.Errorf("%w: %s=%q: not an integer", ErrInvalidConfig, name, v)
			return
		}
		*dst = int32(n)
	}
	dur := func(name string, dst *time.Duration) {
		v, ok := lookup(name)
		if !ok || err != nil {
			return
		}
		d, perr := time.ParseDuration(v)
		if perr != nil {
			err = fmt.Errorf("%w: %s=%q: not a duration such as 30s or 5m", ErrInvalidConfig, name, v)
			return
		}
		*dst = d
	}
	str(EnvURL, &c.URL)
	str(EnvDirectURL, &c.DirectURL)
	str(EnvApplicationName, &c.ApplicationName)
	if v, ok := lookup(EnvPgBouncer); ok && v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			return Config{}, fmt.Errorf("%w: %s=%q: not a boolean", ErrInvalidConfig, EnvPgBouncer, v)
		}
		c.PgBouncer = b
	}
	integer(EnvPoolMin, &c.MinConns)
	integer(EnvPoolMax, &c.MaxConns)
	dur(EnvMaxConnLifetime, &c.MaxConnLifetime)
	dur(EnvLifetimeJitter, &c.MaxConnLifetimeJitter)
	dur(EnvMaxConnIdleTime, &c.MaxConnIdleTime)
	dur(EnvHealthCheckPeriod, &c.HealthCheckPeriod)
	dur(EnvStatementTimeout, &c.StatementTimeout)
	if err != nil {
		return Config{}, err
	}
	if c.URL == "" {
		return Config{}, fmt.Errorf("%w: %s is not set", ErrInvalidConfig, EnvURL)
	}
	return c, c.withDefaults().Validate()
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxConnLifetime == 0 {
		c.MaxConnLifetime = DefaultMaxConnLifetime
	}
	if c.MaxConnLifetimeJitter == 0 {
		c.MaxConnLifetimeJitter = min(DefaultLifetimeJitter, c.MaxConnLifetime/2)
	}
	if c.MaxConnIdleTime == 0 {
		c.MaxConnIdleTime = DefaultMaxConnIdleTime
	}
	if c.HealthCheckPeriod == 0 {
		c.HealthCheckPeriod = DefaultHealthCheckPeriod
	}
	if c.DirectURL == "" && !c.PgBouncer {
		c.DirectURL = c.URL
	}
	return c
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, fmt.Sprintf(format, args...))
	}
	if c.URL == "" {
		return bad("URL", "empty")
	}
	if _, err := pgxpool.ParseConfig(c.URL); err != nil {
		return bad("URL", "%v", err)
	}
	if c.DirectURL != "" {
		if _, err := pgxpool.ParseConfig(c.DirectURL); err != nil {
			return bad("DirectURL", "%v", err)
		}
	}
	switch {
	case c.MinConns < 0:
		return bad("MinConns", "%d is negative", c.MinConns)
	case c.MaxConns < 0:
		return bad("MaxConns", "%d is negative", c.MaxConns)
	case c.MaxConns > 0 && c.MinConns > c.MaxConns:
		return bad("MinConns", "%d exceeds MaxConns %d", c.MinConns, c.MaxConns)
	case c.MaxConnLifetime < 0:
		return bad("MaxConnLifetime", "%v is negative", c.MaxConnLifetime)
	case c.MaxConnLifetimeJitter < 0:
		return bad("MaxConnLifetimeJitter", "%v is negative", c.MaxConnLifetimeJitter)
	case c.MaxConnIdleTime < 0:
		return bad("MaxConnIdleTime", "%v is negative", c.MaxConnIdleTime)
	case c.HealthCheckPeriod < 0:
		return bad("HealthCheckPeriod", "%v is negative", c.HealthCheckPeriod)
	case c.StatementTimeout < 0:
		return bad("StatementTimeout", "%v is negative", c.StatementTimeout)
	case c.StatementTimeout > 0 && c.PgBouncer:
		return bad("StatementTimeout", "cannot be sent through PgBouncer in transaction mode; set it on the role (Provision WithStatementTimeout)")
	}
	return nil
}

// poolConfig turns c (with defaults applied) into a pgxpool configuration.
func (c Config) poolConfig() (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(c.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: URL: %v", ErrInvalidConfig, err)
	}
	pc.MinConns = c.MinConns
	pc.MaxConns = c.MaxConns
	pc.MaxConnLifetime = c.MaxConnLifetime
	pc.MaxConnLifetimeJitter = c.MaxConnLifetimeJitter
	pc.MaxConnIdleTime = c.MaxConnIdleTime
	pc.HealthCheckPeriod = c.HealthCheckPeriod
	if c.ApplicationName != "" {
		pc.ConnConfig.RuntimeParams["application_name"] = c.ApplicationName
	}
	if c.StatementTimeout > 0 {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(c.StatementTimeout.Milliseconds(), 10)
	}
	if c.PgBouncer {
		applyPgBouncerProfile(pc)
	}
	return pc, nil
}
