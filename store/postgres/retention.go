package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/store"
)

// DeleteEventsBefore deletes at most limit raw events received before
// cutoff, oldest first, in one short transaction so ingest's commits
// interleave with a long clean-up. Rollups are kept. Servers sharing the
// database may all run retention: a row another one deleted first is
// simply not counted here.
func (s *Store) DeleteEventsBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if err := store.CheckRetentionCutoff(cutoff); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM events WHERE seq IN (
		SELECT seq FROM events WHERE received_at < $1 ORDER BY received_at LIMIT $2)`, cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("deleting old events: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
