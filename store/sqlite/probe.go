package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ehforge/forgefit/store"
)

var _ store.WriteProber = (*Store)(nil)

// ProbeWrite writes the time into write_probe's one row and commits, as
// the writer commits events: through the WAL and an fdatasync. A full
// disk, a file that refuses writes or a lock held by another process fail
// it as they fail a commit of events.
func (s *Store) ProbeWrite(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning a write probe: %w", err)
	}
	defer tx.Rollback()
	// max(…, at + 1): a new value even when the clock has not moved.
	if _, err := tx.ExecContext(ctx, `UPDATE write_probe SET at = max(?, at + 1)`, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("write probe: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing a write probe: %w", err)
	}
	return nil
}
