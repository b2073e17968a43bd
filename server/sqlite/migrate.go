package sqlite

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/server"
)

// migrations are the schema's versions, applied in order of their number
// (0001_name.sql, 0002_…); a file, once released, never changes.
//
//go:embed migrations/*.sql
var migrations embed.FS

func loadMigrations() ([]server.Migration, error) {
	return server.LoadMigrations(migrations, "migrations")
}

// SchemaVersion is the version of the schema this binary brings a database
// to. A cached database with another version must be rebuilt.
var SchemaVersion = func() int {
	ms, err := loadMigrations()
	if err != nil {
		panic(err) // the embedded files are broken: a build bug
	}
	return len(ms)
}()

// migrate applies the migrations the database lacks, each in its own
// immediate transaction, so two processes opening one new file at once
// apply each migration once.
func (s *Store) migrate(ctx context.Context) error {
	return s.migrateTo(ctx, SchemaVersion)
}

// migrateTo applies the migrations up to version; tests start from an
// older schema with it.
func (s *Store) migrateTo(ctx context.Context, version int) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return err
	}
	for _, m := range ms[:version] {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, m server.Migration) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var applied bool
	if err := tx.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.Version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}
