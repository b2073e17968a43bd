package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// Checkpoints copy the WAL's pages back into the database file. SQLite
// runs them in the committing connection once the WAL passes
// wal_autocheckpoint pages, which puts the copy and its fsyncs on the
// writer, where every waiting ingest request pays for them: about a fifth
// of the writer's time under a steady load of 20-event batches.
//
// So a goroutine of the store checkpoints on a connection of its own every
// checkpointEvery, PASSIVE: it never blocks the writer. A passive
// checkpoint cannot restart the WAL while writes keep arriving, so the
// writer keeps a larger wal_autocheckpoint as a bound on the WAL's size;
// when that fires, the background has copied all but the newest frames and
// the writer's checkpoint is short.

const (
	// writerAutocheckpoint is the writer's own threshold, in pages (4 KiB).
	writerAutocheckpoint = 4096
	// checkpointEvery is the background's pace: often enough that the
	// writer's checkpoints find little to copy, rarely enough that its
	// fsyncs seldom meet the writer's (every 5 ms slowed small commits).
	checkpointEvery = 100 * time.Millisecond
)

// checkpoint runs passive checkpoints on db until ctx ends; done is closed
// when it returns. A failed checkpoint is simply tried again: the writer's
// own checkpoints still bound the WAL.
func checkpoint(ctx context.Context, db *sql.DB, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}
