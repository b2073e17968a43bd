package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// readOnlyBatch is a batch of n widget views received now.
func readOnlyBatch(n int) store.Batch {
	now := time.Now().UTC()
	b := store.Batch{
		Batch: event.Batch{Partner: "acme", Widget: "w", View: uuid.Must(uuid.NewV7()).String(),
			Page: event.Page{Origin: "https://www.acme.example"}},
		ReceivedAt: now,
	}
	for range n {
		b.Events = append(b.Events, event.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetViewed, At: now})
	}
	return b
}

// TestReaderReadsWhatARunningStoreWrites reads, beside a store that keeps
// writing, exactly the events the store itself reads.
func TestReaderReadsWhatARunningStoreWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write(ctx, []store.Batch{readOnlyBatch(3)}); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for range 2 { // before and after another write
		want, err := s.Events(ctx, store.EventQuery{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Events(ctx, store.EventQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events (-store +reader):\n%s", diff)
		}
		if _, err := s.Write(ctx, []store.Batch{readOnlyBatch(2)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReaderNeverWrites opens a database no server has open: the reader
// reads it, refuses a write, and leaves the file as it was, byte for
// byte, and its WAL empty.
func TestReaderNeverWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "forgefit.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []store.Batch{readOnlyBatch(4)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, path)

	r, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := r.Events(ctx, store.EventQuery{})
	if err != nil || len(evs) != 4 {
		t.Errorf("Events: %d events, %v; want 4", len(evs), err)
	}
	if _, err := r.db.ExecContext(ctx, `DELETE FROM events`); err == nil {
		t.Error("a DELETE through the reader succeeded")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if after := fileSum(t, path); after != before {
		t.Error("the database file changed under a reader")
	}
	// SQLite makes the WAL and its index beside a WAL database for any
	// reader; the WAL must stay empty.
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("the reader wrote %d bytes to the WAL", fi.Size())
	}
}

// TestReaderNeitherCreatesNorMigrates: a missing file stays missing, and
// a database one migration behind is refused, not brought up to date.
func TestReaderNeitherCreatesNorMigrates(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if r, err := OpenReadOnly(ctx, missing); err == nil {
		r.Close()
		t.Error("OpenReadOnly of a missing file succeeded")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("OpenReadOnly of a missing file created it (%v)", err)
	}

	old := filepath.Join(dir, "old.db")
	w, err := sql.Open("sqlite", old)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := (&Store{w: w}).migrateTo(ctx, SchemaVersion-1); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(ctx, old)
	if err == nil {
		r.Close()
		t.Fatal("OpenReadOnly of a database one migration behind succeeded")
	}
	if !strings.Contains(err.Error(), "version") {
		t.Errorf("error %q does not name the schema version", err)
	}
	var version int
	if err := w.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != SchemaVersion-1 {
		t.Errorf("schema at version %d after OpenReadOnly, want %d: the reader migrated", version, SchemaVersion-1)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
