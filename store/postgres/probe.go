package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ehforge/forgefit/store"
)

var _ store.WriteProber = (*Store)(nil)

// ProbeWrite commits a transaction that writes nothing to a table but
// takes a transaction id, so its commit goes through the WAL and waits for
// the flush, as a commit of events does. A standby or a server refusing
// commits fails it; no schema is needed.
func (s *Store) ProbeWrite(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT txid_current()`)
		return err
	})
	if err != nil {
		return fmt.Errorf("write probe: %w", err)
	}
	return nil
}
