package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/store"
)

// EndSession records that the dashboard session id was signed out, and
// deletes the records of sessions that expired more than
// store.EndedSessionGrace ago, in one short transaction of the writer.
func (s *Store) EndSession(ctx context.Context, id string, expires time.Time) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("ending a session: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO ended_sessions (id, expires) VALUES (?, ?)
		ON CONFLICT (id) DO NOTHING`, id, expires.Unix()); err != nil {
		return fmt.Errorf("ending a session: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM ended_sessions WHERE expires < ?`,
		time.Now().Add(-store.EndedSessionGrace).Unix()); err != nil {
		return fmt.Errorf("forgetting expired sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ending a session: %w", err)
	}
	return nil
}

// SessionEnded reports whether EndSession recorded id: one lookup by
// primary key on a reader.
func (s *Store) SessionEnded(ctx context.Context, id string) (bool, error) {
	var ended bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ended_sessions WHERE id = ?)`, id).Scan(&ended); err != nil {
		return false, fmt.Errorf("reading ended sessions: %w", err)
	}
	return ended, nil
}
