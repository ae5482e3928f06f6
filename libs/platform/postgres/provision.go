package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ProvisionOption tunes Provision.
type ProvisionOption func(*provisionOptions) error

type provisionOptions struct {
	password         string
	statementTimeout time.Duration
	connLimit        int
}

// WithPassword sets (or resets) the service role's password and puts it in
// the returned URL. Without it the role's password is left unchanged and the
// URL carries none (for trust, peer or certificate authentication).
func WithPassword(p string) ProvisionOption {
	return func(o *provisionOptions) error {
		if p == "" || strings.ContainsRune(p, 0) {
			return fmt.Errorf("%w: password must be non-empty without NUL bytes", ErrInvalidConfig)
		}
		o.password = p
		return nil
	}
}

// WithStatementTimeout sets the role's default statement_timeout, which also
// applies through PgBouncer.
func WithStatementTimeout(d time.Duration) ProvisionOption {
	return func(o *provisionOptions) error {
		if d <= 0 {
			return fmt.Errorf("%w: statement timeout %v must be positive", ErrInvalidConfig, d)
		}
		o.statementTimeout = d
		return nil
	}
}

// WithConnectionLimit caps the role's concurrent server connections.
func WithConnectionLimit(n int) ProvisionOption {
	return func(o *provisionOptions) error {
		if n <= 0 {
			return fmt.Errorf("%w: connection limit %d must be positive", ErrInvalidConfig, n)
		}
		o.connLimit = n
		return nil
	}
}

var serviceName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// Identifier returns the database and role name Provision uses for service:
// the name with dashes turned into underscores.
func Identifier(service string) (string, error) {
	if !serviceName.MatchString(service) {
		return "", fmt.Errorf("%w: %q: want a lower-case letter, then up to 62 letters, digits, '-' or '_'", ErrInvalidServiceName, service)
	}
	return strings.ReplaceAll(service, "-", "_"), nil
}

// Provision creates, idempotently, the database and login role of service
// on the server at adminURL (a superuser or CREATEROLE+CREATEDB URL) and
// returns the service's URL. The role owns its database and the public
// schema in it; PUBLIC loses CONNECT on the database and CREATE on the
// schema, so no other service role can connect or read its tables. Running
// it again repairs ownership and grants and changes nothing else. Errors wrap
// ErrInvalidServiceName or ErrInvalidConfig for bad input.
func Provision(ctx context.Context, adminURL, service string, opts ...ProvisionOption) (string, error) {
	name, err := Identifier(service)
	if err != nil {
		return "", err
	}
	var o provisionOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return "", err
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute)
		defer cancel()
	}
	au, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("%w: admin URL: %v", ErrInvalidConfig, err)
	}
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("provisioning %s: connecting as admin: %w", service, err)
	}
	defer admin.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()

	if err := ensureRole(ctx, admin, name, ident, o); err != nil {
		return "", fmt.Errorf("provisioning %s: role: %w", service, err)
	}
	if err := ensureDatabase(ctx, admin, name, ident); err != nil {
		return "", fmt.Errorf("provisioning %s: database: %w", service, err)
	}
	su := *au
	su.Path = "/" + name
	dbAdmin, err := pgx.Connect(ctx, su.String())
	if err != nil {
		return "", fmt.Errorf("provisioning %s: connecting to its database as admin: %w", service, err)
	}
	defer dbAdmin.Close(ctx)
	for _, stmt := range []string{
		"ALTER SCHEMA public OWNER TO " + ident,
		"REVOKE ALL ON SCHEMA public FROM PUBLIC",
		"GRANT ALL ON SCHEMA public TO " + ident,
	} {
		if _, err := dbAdmin.Exec(ctx, stmt); err != nil {
			return "", fmt.Errorf("provisioning %s: %s: %w", service, stmt, err)
		}
	}
	if o.password != "" {
		su.User = url.UserPassword(name, o.password)
	} else {
		su.User = url.User(name)
	}
	return su.String(), nil
}

func ensureRole(ctx context.Context, admin *pgx.Conn, name, ident string, o provisionOptions) error {
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		_, err := admin.Exec(ctx, "CREATE ROLE "+ident+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION")
		if err != nil && !isCode(err, "42710") { // duplicate_object: created concurrently
			return err
		}
	}
	stmts := []string{"ALTER ROLE " + ident + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION"}
	if o.password != "" {
		stmts = append(stmts, "ALTER ROLE "+ident+" PASSWORD "+quoteLiteral(o.password))
	}
	if o.connLimit > 0 {
		stmts = append(stmts, fmt.Sprintf("ALTER ROLE %s CONNECTION LIMIT %d", ident, o.connLimit))
	}
	if o.statementTimeout > 0 {
		stmts = append(stmts, fmt.Sprintf("ALTER ROLE %s SET statement_timeout = %d", ident, o.statementTimeout.Milliseconds()))
	}
	for _, s := range stmts {
		if _, err := admin.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func ensureDatabase(ctx context.Context, admin *pgx.Conn, name, ident string) error {
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		_, err := admin.Exec(ctx, "CREATE DATABASE "+ident+" OWNER "+ident)
		if err != nil && !isCode(err, "42P04") { // duplicate_database
			return err
		}
	}
	for _, s := range []string{
		"ALTER DATABASE " + ident + " OWNER TO " + ident,
		"REVOKE ALL ON DATABASE " + ident + " FROM PUBLIC",
		"GRANT CONNECT, TEMPORARY ON DATABASE " + ident + " TO " + ident,
	} {
		if _, err := admin.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// quoteLiteral quotes s as an SQL string literal (standard_conforming_strings
// is on in every supported PostgreSQL).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
