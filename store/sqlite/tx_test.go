package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehforge/forgefit/store"
)

// TestFailedWriteRollsBack makes a write fail half-way, after its batches'
// rows went in: nothing of it may stay, and the writer's connection must
// be out of the transaction, or the next write could not begin. A
// trigger, created by another connection, refuses the events of one
// partner: with ABORT, which leaves the transaction to the writer to roll
// back, and with ROLLBACK, which ends it in SQLite (as a full disk or an
// interrupt does) before the writer's own ROLLBACK.
func TestFailedWriteRollsBack(t *testing.T) {
	for _, raise := range []string{"ABORT", "ROLLBACK"} {
		t.Run(raise, func(t *testing.T) { testFailedWriteRollsBack(t, raise) })
	}
}

func testFailedWriteRollsBack(t *testing.T, raise string) {
	ctx := context.Background()
	s, other := openWithOther(t)
	if _, err := other.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.partner = 'refused'
		BEGIN SELECT RAISE(` + raise + `, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	refused := views(now, 2)
	refused.Partner = "refused"
	if _, err := s.Write(ctx, []store.Batch{views(now, 1), refused}); err == nil {
		t.Fatal("the write with refused events succeeded")
	}
	if _, err := s.Write(ctx, []store.Batch{views(now, 3)}); err != nil {
		t.Fatalf("the write after a failed one: %v", err)
	}
	var batches, events int
	if err := other.QueryRow(`SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM events)`).Scan(&batches, &events); err != nil {
		t.Fatal(err)
	}
	if batches != 1 || events != 3 {
		t.Errorf("stored %d batches and %d events, want the second write's 1 and 3", batches, events)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping after a failed write: %v", err)
	}
}

// TestWriteAfterCancelledBegin cancels a write while it waits for the
// write lock, which another connection holds: the write fails, and once
// the lock is free the next write commits on its own, so the cancelled
// one left no transaction open.
func TestWriteAfterCancelledBegin(t *testing.T) {
	ctx := context.Background()
	s, other := openWithOther(t)
	holder, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	waiting, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := s.Write(waiting, []store.Batch{views(time.Now(), 1)}); err == nil {
		t.Fatal("a write succeeded while another connection held the write lock")
	}
	if _, err := holder.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []store.Batch{views(time.Now(), 2)}); err != nil {
		t.Fatalf("the write after a cancelled one: %v", err)
	}
	var events int
	if err := other.QueryRow(`SELECT count(*) FROM events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != 2 {
		t.Errorf("%d events stored, want the second write's 2", events)
	}
}

// TestBeginEndedDuringTheCall begins transactions with a context that ends
// while BEGIN runs. The driver then reports the context's error even when
// BEGIN went through, so begin must not leave that transaction open:
// after each failed begin, a write must commit on its own. The race is
// won now and then (some dozens of times in 3,000 tries here); the test
// stops once it has had plenty of failed begins.
func TestBeginEndedDuringTheCall(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	failed := 0
	for try := 0; try < 3000 && failed < 200; try++ {
		if err := s.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		tx, err := s.begin(&endsOnSecondLook{Context: ctx})
		if err == nil {
			tx.Rollback()
		} else {
			failed++
		}
		s.release()
		if _, err := s.Write(ctx, []store.Batch{views(time.Now(), 1)}); err != nil {
			t.Fatalf("try %d: the write after a begin whose context ended: %v", try, err)
		}
	}
	if failed == 0 {
		t.Fatal("no begin failed: the context never ended during BEGIN, so this test shows nothing")
	}
}

// endsOnSecondLook is a context that is not done the first time its Done
// is called, and done from then on: the driver's check before a statement
// passes, and the goroutine it starts to watch the statement finds the
// context ended, racing the statement.
type endsOnSecondLook struct {
	context.Context
	looks atomic.Int32
}

var closedChannel = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *endsOnSecondLook) Done() <-chan struct{} {
	if c.looks.Add(1) == 1 {
		return make(chan struct{})
	}
	return closedChannel
}

func (c *endsOnSecondLook) Err() error {
	if c.looks.Load() > 1 {
		return context.Canceled
	}
	return nil
}

// TestClosedStore checks that calls after Close fail with ErrClosed
// rather than panic, and that a second Close does nothing: the server's
// committer may still write when a shutdown gives up waiting for it.
func TestClosedStore(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if _, err := s.Write(ctx, []store.Batch{views(time.Now(), 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []store.Batch{views(time.Now(), 1)}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if _, err := s.DeleteEventsBefore(ctx, time.Now().AddDate(-2, 0, 0), 10); !errors.Is(err, ErrClosed) {
		t.Errorf("DeleteEventsBefore after Close: %v, want ErrClosed", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// TestPingWaitsNoLongerThanItsContext holds the writer, as a long write
// does, and pings with a short deadline: the ping must fail at its
// deadline while the writer is still held, not wait for the write.
func TestPingWaitsNoLongerThanItsContext(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if err := s.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	pinged := make(chan error, 1)
	go func() { pinged <- s.Ping(short) }()
	select {
	case err := <-pinged:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Ping during a long write: %v, want the deadline's error", err)
		}
		s.release()
	case <-time.After(time.Minute): // a hang, not a measure: the deadline is 50 ms
		s.release()
		t.Fatalf("Ping still waiting for the writer a minute after its deadline: %v", <-pinged)
	}
}

// openWithOther opens a store on a new file, and a second pool on the
// same file, as another process would have.
func openWithOther(t *testing.T) (*Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return s, other
}
