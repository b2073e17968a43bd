// Package postgres is the store for several servers sharing one database:
// store.Store on PostgreSQL through pgx's pool.
//
// It keeps the SQLite engine's schema and counts events with the same
// code (store.Rollup.Add), so the engines differ only in speed. What
// changes is that several processes write at once: every write is one
// READ COMMITTED transaction that takes its row and advisory locks in one
// fixed order (no deadlocks), adds to rollups with INSERT … ON CONFLICT DO
// UPDATE (no lost increments), and serializes the first sight of a
// visitor (see Write). A commit returns once PostgreSQL has it on disk
// (synchronous_commit, on by default), which is what lets ingest answer
// 202.
package postgres

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ehforge/forgefit/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to the database at dsn (a postgres:// URL) and brings its
// schema up to date; several servers may open one database at once.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing the PostgreSQL URL %s: %w", redact(dsn), err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "forgefit"
	// The day an event counts on is computed in Go, in UTC; the session
	// time zone only shapes what psql shows.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", redact(dsn), err)
	}
	s := &Store{pool: pool}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to %s: %w", redact(dsn), err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrating %s: %w", redact(dsn), err)
	}
	return s, nil
}

// redact hides the password of a URL, for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the -db URL"
	}
	return u.Redacted()
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close waits for the connections in use (running writes) to come back
// and closes them all.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
