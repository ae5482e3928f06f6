package postgres

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// applyPgBouncerProfile makes a pool safe behind PgBouncer in transaction
// pooling mode, where consecutive statements of one client may run on
// different server connections. Every statement is sent as one
// Parse/Bind/Describe/Execute round with the unnamed statement
// (QueryExecModeExec), so no named prepared statement or cached
// description outlives its server connection, and nothing session-scoped is
// set on connect.
func applyPgBouncerProfile(pc *pgxpool.Config) {
	pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	pc.ConnConfig.StatementCacheCapacity = 0
	pc.ConnConfig.DescriptionCacheCapacity = 0
	// Session parameters other than the few PgBouncer tracks would leak
	// between clients or be rejected; keep only application_name.
	for k := range pc.ConnConfig.RuntimeParams {
		if k != "application_name" {
			delete(pc.ConnConfig.RuntimeParams, k)
		}
	}
}
