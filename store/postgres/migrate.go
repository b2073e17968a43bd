package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ehforge/forgefit/store"
)

// migrations are the schema's versions, applied in order of their number
// (0001_name.sql, 0002_…); a file, once released, never changes.
//
//go:embed migrations/*.sql
var migrations embed.FS

var schema = store.MustLoadMigrations(migrations, "migrations")

// SchemaVersion is the version of the schema this binary brings a database
// to.
var SchemaVersion = len(schema)

// migrateLock is the key of the session advisory lock held while
// migrating ("forgefit" in ASCII). Advisory locks with one bigint key and
// those with two integer keys (the visitor locks of Write) never conflict.
const migrateLock int64 = 0x666f726765666974

// migrate applies the migrations the database lacks. Servers starting
// together all call it: the advisory lock lets one migrate while the
// others wait, and then find nothing left to do. Each migration runs in
// its own transaction with its schema_migrations row.
func (s *Store) migrate(ctx context.Context) error {
	return s.migrateTo(ctx, SchemaVersion)
}

// migrateTo applies the migrations up to version; tests start from an
// older schema with it.
func (s *Store) migrateTo(ctx context.Context, version int) error {
	ms := schema
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("waiting for the migration lock: %w", err)
	}
	defer func() {
		// If unlocking fails, the connection is broken and the session's
		// lock goes with it.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return err
	}
	for _, m := range ms[:version] {
		if err := apply(ctx, conn.Conn(), m); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

func apply(ctx context.Context, conn *pgx.Conn, m store.Migration) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var applied bool
	if err := tx.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	// No arguments: the simple protocol, which runs a file of statements.
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
