package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/server/storetest"
	"github.com/ehforge/forgefit/widget/event"
)

// files remembers each test's database file, so that a second open in the
// same test reopens it, as storetest.Open requires.
var files sync.Map // *testing.T → path

// open opens a real file in the test's temporary folder.
func open(t *testing.T) server.Store {
	t.Helper()
	path, _ := files.LoadOrStore(t, filepath.Join(t.TempDir(), "forgefit.db"))
	s, err := Open(context.Background(), path.(string))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

// TestMigrations checks that opening a database again applies nothing
// twice and leaves it at SchemaVersion.
func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forgefit.db")
	var runs [][]int
	for range 3 {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		rows, err := s.r.Query(`SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		var versions []int
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			versions = append(versions, v)
		}
		rows.Close()
		runs = append(runs, versions)
		s.Close()
	}
	var want []int
	for v := 1; v <= SchemaVersion; v++ {
		want = append(want, v)
	}
	if diff := cmp.Diff([][]int{want, want, want}, runs); diff != "" {
		t.Errorf("applied migrations per open (-want +got):\n%s", diff)
	}
}

// TestPragmas checks the settings durability rests on.
func TestPragmas(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "forgefit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]any{}
	for _, p := range []string{"journal_mode", "synchronous", "busy_timeout"} {
		var v any
		if err := s.w.QueryRow("PRAGMA " + p).Scan(&v); err != nil {
			t.Fatal(err)
		}
		got[p] = v
	}
	want := map[string]any{"journal_mode": "wal", "synchronous": int64(2), "busy_timeout": int64(BusyTimeoutMillis)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writer pragmas (-want +got):\n%s", diff)
	}
}

// TestUpgradeKeepsVisitors opens a database made before visitor_days
// existed: its counted visitors are carried over, so a visitor already
// counted on a day is not counted again after the upgrade, and a bot's
// hash is not carried over at all.
func TestUpgradeKeepsVisitors(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	w, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{w: w}
	if err := old.migrateTo(ctx, 1); err != nil {
		t.Fatalf("migrating to version 1: %v", err)
	}
	for i, v := range []struct {
		visitor string
		bot     bool
	}{{"seen-before", false}, {"a-bot", true}} {
		_, err := w.Exec(`INSERT INTO events (partner, event_id, type, at, received_at, day, widget,
			view, locale, content_version, page_origin, page_path, utm_source, utm_medium,
			utm_campaign, utm_term, utm_content, question_id, option_id, outcome, faq_id, cta_id,
			visitor, test, bot) VALUES ('acme', ?, 'widget_loaded', ?, ?, '2026-11-20', 'w', 'v', 'en',
			'', 'https://www.acme.example', '/', '', '', '', '', '', '', '', '', '', '', ?, 0, ?)`,
			fmt.Sprintf("0193c5a2-7b1c-7d3e-8f4a-1b2c3d4e5f6%d", i), day.UnixMicro(), day.UnixMicro(), []byte(v.visitor), v.bot)
		if err != nil {
			t.Fatal(err)
		}
	}
	w.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after the upgrade: %v", err)
	}
	defer s.Close()
	batch := func(visitor string) server.Batch {
		return server.Batch{
			Batch: event.Batch{Partner: "acme", Widget: "w", View: uuid.Must(uuid.NewV7()).String(), Locale: "en",
				Page:   event.Page{Origin: "https://www.acme.example"},
				Events: []event.Event{{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetLoaded, At: day}}},
			ReceivedAt: day.Add(time.Hour), Visitor: []byte(visitor),
		}
	}
	if _, err := s.Write(ctx, []server.Batch{batch("seen-before"), batch("a-bot"), batch("new")}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, err := s.Rollups(ctx, server.RollupQuery{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Visitors != 2 {
		t.Fatalf("rollups after the upgrade: %+v; want one day with 2 visitors, a-bot and new (seen-before was counted before the upgrade; a-bot only as a bot, which counts for nothing)", got)
	}
}

// TestBackgroundCheckpoints checks that the store copies the WAL back into
// the database file by itself, long before the writer's own threshold: the
// file grows though far fewer pages than writerAutocheckpoint were written.
func TestBackgroundCheckpoints(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	now := time.Now()
	var batches []server.Batch
	for range 20 {
		b := server.Batch{Batch: event.Batch{Partner: "acme", Widget: "w", View: uuid.Must(uuid.NewV7()).String(),
			Page: event.Page{Origin: "https://www.acme.example"}}, ReceivedAt: now}
		for range 20 {
			b.Events = append(b.Events, event.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetViewed, At: now})
		}
		batches = append(batches, b)
	}
	if _, err := s.Write(ctx, batches); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); size() <= before; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is still %d bytes 5 s after a write of 400 events: no checkpoint ran", before)
		}
	}
}
