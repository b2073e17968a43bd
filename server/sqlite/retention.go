package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/server"
)

// DeleteEventsBefore deletes at most limit raw events received before
// cutoff, oldest first, in one short transaction so ingest's commits
// interleave with a long clean-up. Rollups are kept; visitor_days of days
// before the cutoff's go too.
//
// Oldest first means in seq order: the server stamps received_at as it
// admits a batch, so it grows with seq, and events need no index on it.
// Only the next limit events are looked at, so a call never scans the
// table; were a clock ever set back, the events stored after the jump
// wait until those before it are old enough too.
func (s *Store) DeleteEventsBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if err := server.CheckRetentionCutoff(cutoff); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("deleting old events: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE seq IN (
		SELECT seq FROM (SELECT seq, received_at FROM events ORDER BY seq LIMIT ?) WHERE received_at < ?)`,
		limit, cutoff.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("deleting old events: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM visitor_days WHERE day < ?`,
		server.Day(cutoff).Format(time.DateOnly)); err != nil {
		return 0, fmt.Errorf("deleting old visitor days: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("deleting old events: %w", err)
	}
	return int(n), nil
}
