package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/ehforge/forgefit/server"
)

// Durability apart from the commit. The writer commits with
// synchronous=NORMAL: in WAL mode a commit then writes its frames to the
// WAL file without an fsync. Sync fsyncs the WAL file afterwards, outside
// the write lock, so the next group commits while the last one's fsync
// runs (it was a third of a small commit's time). Once that fsync returns,
// every frame written before it began is on disk, and recovery replays
// them: a commit is as durable as with synchronous=FULL, only later.
//
// Why that is enough, from SQLite's WAL design:
//   - A commit writes its frames, with checksums chained from the WAL
//     header, before it returns; the fsync covers them and the header.
//     Recovery keeps every frame up to the last valid commit frame, so a
//     commit that was synced survives, and the unsynced commits after it
//     are either whole or ignored. Durability is in commit order.
//   - A checkpoint (ours, or SQLite's own in the writer) fsyncs the WAL
//     before copying it into the database file and fsyncs that file after,
//     under NORMAL as under FULL; only then can a later writer restart the
//     WAL over frames already copied.
//   - The WAL file lives as long as a connection is open: the store keeps
//     its connections until Close, so the file Sync opens stays the WAL.
//     Sync still checks that the path names the file it holds.
//
// What changes: reads may see a commit before it is durable. A power cut
// in that window loses it, as it would have been lost had it come a moment
// later, and no request it carried was answered 202.

// Commit stores batches like Write but returns before they are durable:
// see Sync.
func (s *Store) Commit(ctx context.Context, batches []server.Batch) ([]server.Receipt, error) {
	if err := s.wal.failure(); err != nil {
		return nil, err
	}
	return s.commit(ctx, batches)
}

// Write stores batches durably: Commit, then Sync.
func (s *Store) Write(ctx context.Context, batches []server.Batch) ([]server.Receipt, error) {
	receipts, err := s.Commit(ctx, batches)
	if err != nil {
		return nil, err
	}
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	return receipts, nil
}

// Sync returns once every Commit that returned before it was called is on
// disk. After an fsync fails the store refuses every write: the kernel may
// have dropped the pages it could not write, so a later fsync that
// succeeds would prove nothing about them.
func (s *Store) Sync(context.Context) error {
	return s.wal.sync(s.wal.committed.Load())
}

// walSync makes the writer's commits durable by fsyncing the WAL file.
type walSync struct {
	path      string        // the WAL file: the database's path + "-wal"
	committed atomic.Uint64 // commits that have returned, in order

	mu     sync.Mutex // one fsync at a time
	f      *os.File   // the WAL file, opened at the first sync
	synced uint64     // commits known to be on disk
	err    error      // the fsync failure that stopped the store
	failed atomic.Bool
}

// failure returns the error that stopped the store, if any.
func (w *walSync) failure() error {
	if !w.failed.Load() {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// sync makes commits up to number target durable. A sync that began after
// target was committed covers it, so callers queued behind a running
// fsync usually find their work done.
func (w *walSync) sync(target uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if w.synced >= target {
		return nil
	}
	covered := w.committed.Load() // committed before this fsync begins
	if err := w.fsync(); err != nil {
		w.err = fmt.Errorf("the store stopped taking writes: making commits durable failed: %w", err)
		w.failed.Store(true)
		return w.err
	}
	w.synced = covered
	return nil
}

// fsync syncs the WAL file, first (re)opening it if the path names
// another file than the one held.
func (w *walSync) fsync() error {
	fi, err := os.Stat(w.path)
	if err != nil {
		return err
	}
	if w.f != nil {
		held, err := w.f.Stat()
		if err != nil || !os.SameFile(fi, held) {
			w.f.Close()
			w.f = nil
		}
	}
	if w.f == nil {
		// Read-only is enough: fsync writes back the file's pages
		// whatever descriptor asks.
		if w.f, err = os.Open(w.path); err != nil {
			return err
		}
	}
	return w.f.Sync()
}

// close releases the WAL file.
func (w *walSync) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// errNotWAL is returned by Open when SQLite would not use a WAL: without
// one, Sync would make nothing durable.
var errNotWAL = errors.New("the database is not in WAL mode")
