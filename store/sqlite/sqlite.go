// Package sqlite is the embedded store: store.Store on one SQLite file
// through modernc.org/sqlite (pure Go, no cgo).
//
// One connection writes, so writes never wait on SQLite's lock; a small
// pool reads. The database runs in WAL mode with synchronous=FULL: when a
// commit returns, it is on disk, which is what lets ingest answer 202.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"

	"modernc.org/sqlite" // also registers the "sqlite" driver

	"github.com/ehforge/forgefit/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on a SQLite file.
type Store struct {
	w  *sql.DB   // the writer's pool of one connection: migrations use it
	wc *sql.Conn // then the writer holds that connection (see tx.go)
	tx txStatements
	r  *sql.DB // readers
	ck *sql.DB // the background checkpoints' connection (see checkpoint)

	stopCheckpoints context.CancelFunc
	checkpointsDone chan struct{}

	// writer is held by whoever uses the writer connection, its
	// statements and the pending figures (see acquire); closed is guarded
	// by it.
	writer chan struct{}
	closed bool
	stmts  map[[2]int]*sql.Stmt // the writer's prepared statements by kind and rows
	args   []any                // the writer's arguments, reused from write to write
	// counted are visitors known to have a counted event on their day
	// (see rememberVisitors).
	counted map[visitorKey]bool
	pend    pendingRollups // figures not yet in the rollup tables (see rollup.go)
}

// BusyTimeoutMillis is how long a connection waits for another process's
// lock (a second server on the same file, a backup) before failing.
const BusyTimeoutMillis = 5000

// Open opens (creating it if need be) the database at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	// Commits sync with fdatasync, as SQLite's own Linux builds do: it
	// writes the data and the size needed to read it back, so a commit is
	// as durable, without waiting for the file's timestamps to go through
	// the file system's journal. The library's default is fsync, and the
	// switch is process-wide; where fdatasync does not exist it stays off.
	if _, err := sqlite.Fdatasync(true); err != nil && !errors.Is(err, sqlite.ErrFdatasyncUnavailable) {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	common := []string{fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMillis), "journal_mode(WAL)"}
	wq := url.Values{"_pragma": slices.Concat(common, []string{
		"synchronous(FULL)",            // a commit is on disk when it returns
		"journal_size_limit(67108864)", // give the WAL back after a checkpoint
		"cache_size(-32000)",           // 32 MB of pages for the writer
		fmt.Sprintf("wal_autocheckpoint(%d)", writerAutocheckpoint), // see checkpoint
	})}
	// Migrations' transactions BEGIN IMMEDIATE too, as the writer's do
	// (see begin).
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &Store{w: w, writer: make(chan struct{}, 1), stmts: map[[2]int]*sql.Stmt{}, counted: map[visitorKey]bool{}}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}

	rq := url.Values{"_pragma": slices.Concat(common, []string{"query_only(1)"})}
	s.r, err = sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s.r.SetMaxOpenConns(4)
	// From here on the writer's connection is s.wc's alone: s.w has no
	// other to give.
	if s.wc, err = w.Conn(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if s.tx, err = prepareTx(ctx, s.wc); err != nil {
		s.Close()
		return nil, fmt.Errorf("preparing statements on %s: %w", path, err)
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("preparing statements on %s: %w", path, err)
	}
	// Events stored after the watermark by a store that stopped before it
	// wrote their figures are counted now.
	if err := s.startRollups(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("bringing rollups up to date on %s: %w", path, err)
	}
	cq := url.Values{"_pragma": slices.Concat(common, []string{"synchronous(FULL)"})}
	if s.ck, err = sql.Open("sqlite", path+"?"+cq.Encode()); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s.ck.SetMaxOpenConns(1)
	ckCtx, stop := context.WithCancel(context.Background())
	s.stopCheckpoints, s.checkpointsDone = stop, make(chan struct{})
	go checkpoint(ckCtx, s.ck, s.checkpointsDone)
	return s, nil
}

// ErrClosed is the error of a call on a closed store.
var ErrClosed = errors.New("the event store is closed")

// acquire takes the writer for the caller, waiting for a running write
// no longer than ctx allows; release gives it back.
func (s *Store) acquire(ctx context.Context) error {
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.closed {
		s.release()
		return ErrClosed
	}
	return nil
}

func (s *Store) release() { <-s.writer }

// Ping reports whether the writer and the readers reach the database.
// The writer is asked between two writes, since a ping given up half-way
// interrupts its connection; a write still running when ctx ends fails
// the ping.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	err := s.wc.PingContext(ctx)
	s.release()
	if err != nil {
		return err
	}
	return s.r.PingContext(ctx)
}

// Close waits for a running write, writes the pending figures and closes
// the database. Calls after it fail with ErrClosed; closing again does
// nothing.
func (s *Store) Close() error {
	s.writer <- struct{}{} // let a running write finish
	defer s.release()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.stopCheckpoints != nil {
		s.stopCheckpoints()
		<-s.checkpointsDone
		s.ck.Close()
	}
	var ferr error
	if s.pend.rollups != nil { // spare the next Open a recount
		ferr = s.catchUpRollupsLocked(context.Background())
	}
	for _, st := range s.stmts {
		st.Close()
	}
	clear(s.stmts)
	s.tx.close()
	s.tx = txStatements{}
	if s.wc != nil {
		s.wc.Close() // gives the connection back to s.w, which closes it
	}
	var rerr error
	if s.r != nil {
		rerr = s.r.Close()
	}
	if err := s.w.Close(); err != nil {
		return err
	}
	return errors.Join(ferr, rerr)
}
