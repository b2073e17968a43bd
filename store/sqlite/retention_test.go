package sqlite

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// ids reads a column of ids, in order.
func ids(t *testing.T, s *Store, query string) []int64 {
	t.Helper()
	var out []int64
	rows, err := s.r.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkBatches checks that the stored batches are exactly those events
// refer to: none is missing, none is left over.
func checkBatches(t *testing.T, s *Store) {
	t.Helper()
	referred := ids(t, s, `SELECT DISTINCT batch FROM events ORDER BY batch`)
	stored := ids(t, s, `SELECT id FROM batches ORDER BY id`)
	if diff := cmp.Diff(referred, stored); diff != "" {
		t.Errorf("batch ids (-referred to by events +stored):\n%s", diff)
	}
}

// openStore opens a store on a new file.
func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "forgefit.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// views returns a batch of n widget_viewed events received at received.
func views(received time.Time, n int) store.Batch {
	b := store.Batch{
		Batch: event.Batch{Partner: "acme", Widget: "w", View: uuid.Must(uuid.NewV7()).String(),
			Page: event.Page{Origin: "https://www.acme.example"}},
		ReceivedAt: received,
	}
	for range n {
		b.Events = append(b.Events, event.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetViewed, At: received})
	}
	return b
}

// TestRetentionDeletesBatches checks that retention deletes a batch once
// its last event is gone, and never one that an event still refers to,
// even when a call deletes only some of a batch's events.
func TestRetentionDeletesBatches(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	// Old batches of 3, 1 and 2 events in one write, one more in another,
	// then recent ones.
	if _, err := s.Write(ctx, []store.Batch{views(day, 3), views(day.Add(time.Hour), 1), views(day.Add(2*time.Hour), 2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []store.Batch{views(day.Add(3*time.Hour), 2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(ctx, []store.Batch{views(day.AddDate(0, 0, 1), 2), views(day.AddDate(0, 0, 1), 1)}); err != nil {
		t.Fatal(err)
	}
	all := ids(t, s, `SELECT id FROM batches ORDER BY id`)
	if len(all) != 6 {
		t.Fatalf("%d batches stored, want 6", len(all))
	}
	cutoff := day.AddDate(0, 0, 1)
	for _, step := range []struct {
		limit, deleted int
		batches        []int64 // left after the call
	}{
		{2, 2, all},      // two of the first batch's three events: it stays
		{2, 2, all[2:]},  // its last one, and the second batch's one
		{1, 1, all[2:]},  // one of the third's two
		{10, 3, all[4:]}, // the rest of the old ones; the recent stay
		{10, 0, all[4:]}, // nothing left to delete
	} {
		n, err := s.DeleteEventsBefore(ctx, cutoff, step.limit)
		if err != nil {
			t.Fatalf("DeleteEventsBefore: %v", err)
		}
		if n != step.deleted {
			t.Errorf("DeleteEventsBefore(limit %d) deleted %d events, want %d", step.limit, n, step.deleted)
		}
		if diff := cmp.Diff(step.batches, ids(t, s, `SELECT id FROM batches ORDER BY id`)); diff != "" {
			t.Errorf("batches after deleting %d events (-want +got):\n%s", n, diff)
		}
		checkBatches(t, s)
	}

	// Once every event is old, all go but the newest, which keeps seqs
	// from being given out again (see 0004_rollup_watermark.sql), and so
	// do all batches but its own; new writes carry on after it.
	newest := ids(t, s, `SELECT max(seq) FROM events`)
	if n, err := s.DeleteEventsBefore(ctx, day.AddDate(0, 0, 2), 10); err != nil || n != 2 {
		t.Fatalf("DeleteEventsBefore, every event old: %d deleted (%v), want 2", n, err)
	}
	if diff := cmp.Diff(newest, ids(t, s, `SELECT seq FROM events`)); diff != "" {
		t.Errorf("events left (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(all[5:], ids(t, s, `SELECT id FROM batches`)); diff != "" {
		t.Errorf("batches left (-want +got):\n%s", diff)
	}
	if _, err := s.Write(ctx, []store.Batch{views(day.AddDate(0, 0, 3), 2)}); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, s, `SELECT min(seq) FROM events WHERE seq > `+strconv.FormatInt(newest[0], 10)); len(got) != 1 || got[0] != newest[0]+1 {
		t.Errorf("new events' first seq %v, want %d", got, newest[0]+1)
	}
	checkBatches(t, s)
}
