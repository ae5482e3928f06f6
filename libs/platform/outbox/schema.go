package outbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Table names used by the outbox.
const (
	TableEvents      = "outbox_events"
	TableDeadLetters = "outbox_dead_letters"
	TableLease       = "outbox_relay_lease"
	// NotifyChannel is the LISTEN/NOTIFY channel Add signals, while a relay
	// waits idle, when its transaction commits.
	NotifyChannel = "outbox_events"
)

// Schema is the DDL of the outbox tables. It is idempotent; services may
// run it with EnsureSchema or copy it into a goose migration.
//
// Add sends NOTIFY (delivered at commit) only while a relay has flagged
// itself idle in outbox_wakeup: PostgreSQL serialises the commits of
// notifying transactions, which under load would cap commit throughput, and
// a busy relay polls back to back anyway.
const Schema = `
CREATE TABLE IF NOT EXISTS outbox_events (
	seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             uuid        NOT NULL,
	aggregate_type text        NOT NULL,
	aggregate_id   text        NOT NULL,
	event_type     text        NOT NULL,
	payload        bytea       NOT NULL,
	headers        jsonb       NOT NULL DEFAULT '{}',
	created_at     timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_dead_letters (
	seq            bigint      PRIMARY KEY,
	id             uuid        NOT NULL,
	aggregate_type text        NOT NULL,
	aggregate_id   text        NOT NULL,
	event_type     text        NOT NULL,
	payload        bytea       NOT NULL,
	headers        jsonb       NOT NULL,
	created_at     timestamptz NOT NULL,
	failed_at      timestamptz NOT NULL DEFAULT now(),
	reason         text        NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_relay_lease (
	name       text        PRIMARY KEY,
	owner      text        NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_wakeup (
	id        int     PRIMARY KEY CHECK (id = 1),
	listening boolean NOT NULL DEFAULT false
);
INSERT INTO outbox_wakeup (id) VALUES (1) ON CONFLICT DO NOTHING;
`

// Execer runs a statement; *pgxpool.Pool, *pgx.Conn and pgx.Tx are Execers.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// EnsureSchema creates the outbox tables if they do not exist.
func EnsureSchema(ctx context.Context, db Execer) error {
	if _, err := db.Exec(ctx, Schema); err != nil {
		return fmt.Errorf("creating outbox schema: %w", err)
	}
	return nil
}
