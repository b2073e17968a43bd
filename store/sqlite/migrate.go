package sqlite

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/ehforge/forgefit/store"
)

// migrations are the schema's versions, applied in order of their number
// (0001_name.sql, 0002_…); a file, once released, never changes.
//
//go:embed migrations/*.sql
var migrations embed.FS

var schema = store.MustLoadMigrations(migrations, "migrations")

// SchemaVersion is the version of the schema this binary brings a database
// to. A cached database with another version must be rebuilt.
var SchemaVersion = len(schema)

// migrate applies the migrations the database lacks, each in its own
// immediate transaction, so two processes opening one new file at once
// apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	return s.migrateTo(ctx, SchemaVersion)
}

// migrateTo applies the migrations up to version; tests start from an
// older schema with it.
func (s *Store) migrateTo(ctx context.Context, version int) error {
	ms := schema
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return err
	}
	var current int
	if err := s.w.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return err
	}
	if current > 0 && current < version {
		// Some migrations rewrite every stored event: on a large
		// database the server is silent for minutes without this.
		slog.Info("upgrading the database schema; a large database takes minutes",
			"from", current, "to", version)
	}
	for _, m := range ms[:version] {
		start := time.Now()
		applied, err := s.apply(ctx, m)
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if applied && current > 0 {
			slog.Info("applied a schema migration", "version", m.Version, "name", m.Name, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

// apply applies m unless the database has it, and reports whether it did.
func (s *Store) apply(ctx context.Context, m store.Migration) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var had bool
	if err := tx.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.Version).Scan(&had); err != nil {
		return false, err
	}
	if had {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
