package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/ehforge/forgefit/server"
)

// TestFailedWriteRollsBack makes a write fail half-way, after its batches'
// rows went in: nothing of it may stay, and the writer's connection must
// be out of the transaction, so the next write commits on its own. A
// trigger, created by another connection, refuses the events of one
// partner.
func TestFailedWriteRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.partner = 'refused'
		BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	refused := views(now, 2)
	refused.Partner = "refused"
	if _, err := s.Write(ctx, []server.Batch{views(now, 1), refused}); err == nil {
		t.Fatal("the write with refused events succeeded")
	}
	// Had the failed write's transaction stayed open, this write would
	// join it, and its commit would store the first write's batches too.
	if _, err := s.Write(ctx, []server.Batch{views(now, 3)}); err != nil {
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
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
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
	if _, err := s.Write(waiting, []server.Batch{views(time.Now(), 1)}); err == nil {
		t.Fatal("a write succeeded while another connection held the write lock")
	}
	if _, err := holder.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []server.Batch{views(time.Now(), 2)}); err != nil {
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
