package events

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// InboxSchema is the DDL of the transactional inbox: one row per event a
// consumer has processed, written in the handler's transaction.
const InboxSchema = `
CREATE TABLE IF NOT EXISTS events_inbox (
	consumer     text        NOT NULL,
	event_id     text        NOT NULL,
	processed_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (consumer, event_id)
);
`

// Execer runs a statement; *pgxpool.Pool, *pgx.Conn and pgx.Tx are Execers.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// EnsureInbox creates the inbox table if it does not exist.
func EnsureInbox(ctx context.Context, db Execer) error {
	if _, err := db.Exec(ctx, InboxSchema); err != nil {
		return fmt.Errorf("creating events inbox: %w", err)
	}
	return nil
}
