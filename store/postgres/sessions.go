package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/store"
)

// EndSession records that the dashboard session id was signed out, where
// every server on the database reads it, and deletes the records of
// sessions that expired more than store.EndedSessionGrace ago, in one
// statement.
func (s *Store) EndSession(ctx context.Context, id string, expires time.Time) error {
	if _, err := s.pool.Exec(ctx, `WITH forgotten AS (DELETE FROM ended_sessions WHERE expires < $3)
		INSERT INTO ended_sessions (id, expires) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
		id, expires.UTC(), time.Now().Add(-store.EndedSessionGrace).UTC()); err != nil {
		return fmt.Errorf("ending a session: %w", err)
	}
	return nil
}

// SessionEnded reports whether EndSession recorded id: one lookup by
// primary key.
func (s *Store) SessionEnded(ctx context.Context, id string) (bool, error) {
	var ended bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ended_sessions WHERE id = $1)`, id).Scan(&ended); err != nil {
		return false, fmt.Errorf("reading ended sessions: %w", err)
	}
	return ended, nil
}
