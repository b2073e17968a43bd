package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/store"
)

// DeleteEventsBefore deletes at most limit raw events received before
// cutoff, oldest first, in one short transaction so ingest's commits
// interleave with a long clean-up. Rollups are kept; batches no event
// refers to any more and visitor_days of days before the cutoff's go too.
//
// Oldest first means in seq order: the server stamps received_at as it
// admits a batch, and batch ids and event seqs are both given out in that
// order, so received_at grows with seq and neither table needs an index on
// it. Only the next limit events are looked at, each with its batch found
// by id, so a call never scans a table; were a clock ever set back, the
// events stored after the jump wait until those before it are old enough
// too. The batches below the batch of the oldest event left are those no
// event refers to: they are found by a range of ids, without an index on
// events.batch.
//
// Only events below the rollups' watermark go: their figures are in the
// rollups, and the event at the watermark stays, so the highest seq never
// drops and no seq is given out twice (see rollup.go). Retention keeps
// that one event, however old.
func (s *Store) DeleteEventsBefore(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	if err := store.CheckRetentionCutoff(cutoff); err != nil {
		return 0, err
	}
	if limit <= 0 {
		return 0, nil
	}
	// Only events whose figures are in the rollups go, and never the one at
	// the watermark (see 0004_rollup_watermark.sql): bring it up first.
	if err := s.catchUpRollups(ctx); err != nil {
		return 0, err
	}
	if err := s.acquire(ctx); err != nil {
		return 0, err
	}
	defer s.release()
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("deleting old events: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE seq IN (
		SELECT e.seq FROM (SELECT seq, batch FROM events ORDER BY seq LIMIT ?) AS e
		JOIN batches AS b ON b.id = e.batch WHERE b.received_at < ?
		AND e.seq < (SELECT seq FROM rollup_watermark))`,
		limit, cutoff.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("deleting old events: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	// With no event left, every batch is unreferenced: the bound is then
	// past the highest id.
	if _, err := tx.ExecContext(ctx, `DELETE FROM batches
		WHERE id < coalesce((SELECT batch FROM events ORDER BY seq LIMIT 1), (SELECT max(id) + 1 FROM batches))
		AND received_at < ?`, cutoff.UnixMicro()); err != nil {
		return 0, fmt.Errorf("deleting old batches: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM visitor_days WHERE day < ?`,
		store.Day(cutoff).Format(time.DateOnly)); err != nil {
		return 0, fmt.Errorf("deleting old visitor days: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("deleting old events: %w", err)
	}
	return int(n), nil
}
