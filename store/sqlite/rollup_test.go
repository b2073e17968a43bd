package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/store/storetest"
)

var allDays = store.RollupQuery{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}

// checkRolledUp checks that s's rollups are those its raw events make.
func checkRolledUp(t *testing.T, name string, s *Store) {
	t.Helper()
	events, err := s.Events(context.Background(), store.EventQuery{Limit: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Rollups(context.Background(), allDays)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(storetest.Rollups(events), got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: rollups (-from raw events +stored):\n%s", name, diff)
	}
}

// visitorBatch is a batch of n views by a visitor.
func visitorBatch(received time.Time, n int, visitor string) store.Batch {
	b := views(received, n)
	b.Visitor = []byte(visitor)
	return b
}

// TestRollupsRecountedAfterACrash checks that figures still waiting in
// memory when the process dies are counted when the file is opened again,
// from the events stored after the watermark: test and bot events as
// events left out, and never as visitors.
func TestRollupsRecountedAfterACrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	test, bot := visitorBatch(now, 4, "v3"), visitorBatch(now, 5, "v4")
	test.Test, bot.Bot = true, true
	if _, err := s.Write(ctx, []store.Batch{visitorBatch(now, 3, "v1"), visitorBatch(now, 2, "v2"), visitorBatch(now, 1, "v1"), test, bot}); err != nil {
		t.Fatal(err)
	}
	// The crash: the connections go, nothing is flushed.
	s.stopCheckpoints()
	<-s.checkpointsDone
	s.ck.Close()
	s.r.Close()
	s.wc.Close()
	s.w.Close()

	// Opening the file for the count recounts too, so count the rows
	// with SQLite directly.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.QueryRow(`SELECT count(*) FROM rollup_days`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if rows != 0 {
		t.Fatalf("%d rollup days on disk before reopening: the write's figures did not wait, so this test shows nothing", rows)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkRolledUp(t, "after reopening", s)
	if got, err := s.Rollups(ctx, allDays); err != nil || len(got) != 1 || got[0].Visitors != 2 || got[0].TestEvents != 4 || got[0].BotEvents != 5 {
		t.Errorf("rollups after reopening: %+v (%v); want one day with 2 visitors, 4 test and 5 bot events", got, err)
	}
}

// TestRollupsWithAnotherWriter opens one file twice, as two processes
// would: each store's pending figures go in only while they are exactly
// those of the events after the watermark; otherwise the events are
// recounted, and nothing is counted twice or missed.
func TestRollupsWithAnotherWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Now()
	write := func(s *Store, batches ...store.Batch) {
		t.Helper()
		if _, err := s.Write(ctx, batches); err != nil {
			t.Fatal(err)
		}
	}
	// b's two events go first and stay pending in b; a's three follow
	// them, so a recounts, rolling b's up as well.
	write(b, visitorBatch(now, 2, "v1"))
	write(a, visitorBatch(now, 3, "v1"), visitorBatch(now, 1, "v2"))
	checkRolledUp(t, "read through a", a)
	// b's pending figures are now in the rollups already: adding them
	// again would count b's events twice.
	checkRolledUp(t, "read through b", b)
	// Interleaved writes.
	write(a, visitorBatch(now, 1, "v3"))
	write(b, visitorBatch(now, 2, "v3"))
	write(a, visitorBatch(now, 2, "v4"))
	checkRolledUp(t, "read through b, interleaved", b)
	checkRolledUp(t, "read through a, interleaved", a)
	if got, err := a.Rollups(ctx, allDays); err != nil || len(got) != 1 || got[0].Events["widget_viewed"] != 11 || got[0].Visitors != 4 {
		t.Errorf("rollups: %+v (%v); want one day of 11 views by 4 visitors", got, err)
	}
}
