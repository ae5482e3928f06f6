package postgres

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfigFromEnv(t *testing.T) {
	const u = "postgres://svc@127.0.0.1:5432/svc?sslmode=disable"
	c, err := ConfigFromEnv(env(map[string]string{
		EnvURL: u, EnvPoolMin: "2", EnvPoolMax: "8", EnvMaxConnLifetime: "10m",
		EnvLifetimeJitter: "1m", EnvStatementTimeout: "3s", EnvApplicationName: "orders",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MinConns != 2 || c.MaxConns != 8 || c.MaxConnLifetime != 10*time.Minute ||
		c.MaxConnLifetimeJitter != time.Minute || c.StatementTimeout != 3*time.Second || c.ApplicationName != "orders" {
		t.Fatalf("config = %+v", c)
	}
	pc, err := c.withDefaults().poolConfig()
	if err != nil {
		t.Fatal(err)
	}
	if pc.ConnConfig.RuntimeParams["statement_timeout"] != "3000" || pc.MaxConnLifetimeJitter != time.Minute {
		t.Fatalf("pool config params = %v jitter %v", pc.ConnConfig.RuntimeParams, pc.MaxConnLifetimeJitter)
	}
	if d := c.withDefaults(); d.DirectURL != u || d.HealthCheckPeriod != DefaultHealthCheckPeriod {
		t.Fatalf("defaults = %+v", d)
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	const u = "postgres://svc@127.0.0.1/svc"
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, EnvURL + " is not set"},
		{map[string]string{EnvURL: u, EnvPoolMax: "ten"}, EnvPoolMax + `="ten"`},
		{map[string]string{EnvURL: u, EnvMaxConnLifetime: "5"}, EnvMaxConnLifetime},
		{map[string]string{EnvURL: u, EnvPgBouncer: "maybe"}, EnvPgBouncer},
		{map[string]string{EnvURL: u, EnvPoolMin: "9", EnvPoolMax: "3"}, "MinConns"},
		{map[string]string{EnvURL: u, EnvPoolMax: "-1"}, "MaxConns"},
		{map[string]string{EnvURL: "postgres://%zz"}, "URL"},
		{map[string]string{EnvURL: u, EnvPgBouncer: "true", EnvStatementTimeout: "1s"}, "StatementTimeout"},
	} {
		_, err := ConfigFromEnv(env(tc.env))
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: err = %v, want ErrInvalidConfig naming %q", tc.env, err, tc.want)
		}
	}
}

func TestPgBouncerProfile(t *testing.T) {
	c := Config{URL: "postgres://svc@127.0.0.1:6432/svc?application_name=x&search_path=foo", PgBouncer: true}
	pc, err := c.withDefaults().poolConfig()
	if err != nil {
		t.Fatal(err)
	}
	cc := pc.ConnConfig
	if cc.DefaultQueryExecMode != pgx.QueryExecModeExec || cc.StatementCacheCapacity != 0 || cc.DescriptionCacheCapacity != 0 {
		t.Fatalf("exec mode %v, caches %d/%d", cc.DefaultQueryExecMode, cc.StatementCacheCapacity, cc.DescriptionCacheCapacity)
	}
	if _, ok := cc.RuntimeParams["search_path"]; ok {
		t.Fatalf("session parameter kept through PgBouncer: %v", cc.RuntimeParams)
	}
	if c.withDefaults().DirectURL != "" {
		t.Fatal("DirectURL defaulted to the PgBouncer URL")
	}
}

func TestIdentifier(t *testing.T) {
	if got, err := Identifier("order-service"); err != nil || got != "order_service" {
		t.Fatalf("Identifier = %q, %v", got, err)
	}
	for _, bad := range []string{"", "Orders", "1abc", "a b", "a;drop", strings.Repeat("a", 64)} {
		if _, err := Identifier(bad); !errors.Is(err, ErrInvalidServiceName) {
			t.Errorf("Identifier(%q) err = %v", bad, err)
		}
	}
}

func FuzzConfigFromEnv(f *testing.F) {
	f.Add("postgres://svc@127.0.0.1/svc", "true", "1", "10", "30m", "5s")
	f.Add("", "maybe", "-1", "x", "5", "-1s")
	f.Fuzz(func(t *testing.T, u, bouncer, minC, maxC, life, timeout string) {
		c, err := ConfigFromEnv(env(map[string]string{
			EnvURL: u, EnvPgBouncer: bouncer, EnvPoolMin: minC, EnvPoolMax: maxC,
			EnvMaxConnLifetime: life, EnvStatementTimeout: timeout,
		}))
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		if _, err := c.withDefaults().poolConfig(); err != nil {
			t.Fatalf("valid config %+v has no pool config: %v", c, err)
		}
	})
}
