package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"modernc.org/sqlite"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/store/storetest"
	"github.com/ehforge/forgefit/widget/event"
)

// files remembers each test's database file, so that a second open in the
// same test reopens it, as storetest.Open requires.
var files sync.Map // *testing.T → path

// open opens a real file in the test's temporary folder.
func open(t *testing.T) store.Store {
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
		if err := s.wc.QueryRowContext(context.Background(), "PRAGMA "+p).Scan(&v); err != nil {
			t.Fatal(err)
		}
		got[p] = v
	}
	want := map[string]any{"journal_mode": "wal", "synchronous": int64(2), "busy_timeout": int64(BusyTimeoutMillis)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writer pragmas (-want +got):\n%s", diff)
	}
	if runtime.GOOS == "linux" && !sqlite.FdatasyncEnabled() {
		t.Error("commits sync with fsync: Open did not switch SQLite to fdatasync")
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
	batch := func(visitor string) store.Batch {
		return store.Batch{
			Batch: event.Batch{Partner: "acme", Widget: "w", View: uuid.Must(uuid.NewV7()).String(), Locale: "en",
				Page:   event.Page{Origin: "https://www.acme.example"},
				Events: []event.Event{{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetLoaded, At: day}}},
			ReceivedAt: day.Add(time.Hour), Visitor: []byte(visitor),
		}
	}
	if _, err := s.Write(ctx, []store.Batch{batch("seen-before"), batch("a-bot"), batch("new")}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, err := s.Rollups(ctx, store.RollupQuery{From: day, To: day})
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
	var batches []store.Batch
	for range 20 {
		b := store.Batch{Batch: event.Batch{Partner: "acme", Widget: "w", View: uuid.Must(uuid.NewV7()).String(),
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

// insertVersion2 stores events as a version-2 database held them: one
// wide row each, with the encoding the writer of that version used.
func insertVersion2(t *testing.T, db *sql.DB, events []store.Event) {
	t.Helper()
	optional := func(p *int) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, e := range events {
		d := &e.Data
		var margin, shared, undecided, visitor any
		if d.Margin != nil {
			margin = *d.Margin
		}
		if d.Shared != nil {
			shared = strings.Join(d.Shared, ",")
		}
		if d.Undecided != nil {
			undecided = strings.Join(d.Undecided, ",")
		}
		if e.Visitor != nil {
			visitor = e.Visitor
		}
		_, err := db.Exec(`INSERT INTO events (seq, partner, event_id, type, at, received_at, day,
			widget, view, locale, content_version, page_origin, page_path, utm_source, utm_medium,
			utm_campaign, utm_term, utm_content, question_id, option_id, question_index, outcome,
			margin, faq_id, shared, undecided, cta_id, visitor, test, bot)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Seq, e.Partner, e.ID, string(e.Type), e.At.UnixMicro(), e.ReceivedAt.UnixMicro(),
			e.Day.Format(time.DateOnly), e.Widget, e.View, e.Locale, e.ContentVersion, e.Page.Origin,
			e.Page.Path, e.UTM.Source, e.UTM.Medium, e.UTM.Campaign, e.UTM.Term, e.UTM.Content,
			d.Question, d.Option, optional(d.Index), string(d.Outcome), margin, d.FAQ, shared, undecided,
			d.CTA, visitor, e.Test, e.Bot)
		if err != nil {
			t.Fatalf("storing event %d in version 2: %v", e.Seq, err)
		}
	}
}

// version2Events are events of every type, with every context field set
// to something other than its zero value in some event, as a version-2
// database held them (seqs with gaps, as retention or duplicates leave).
func version2Events(received time.Time) []store.Event {
	first := store.Batch{
		Batch: event.Batch{Partner: "acme", Widget: "w", View: "view-1", Locale: "de", ContentVersion: "v7",
			Page: event.Page{Origin: "https://www.acme.example", Path: "/it-services"},
			UTM:  event.UTM{Source: "newsletter", Medium: "email", Campaign: "q4", Term: "msp", Content: "banner"},
		},
		ReceivedAt: received, Visitor: []byte("visitor-1"),
	}
	index, margin := 2, 0.25
	data := map[event.Type]event.Data{
		event.QuestionAnswered:    {Question: "internal-it", Option: "capable-team", Index: &index},
		event.QuizCompleted:       {Outcome: event.CoManaged, Margin: &margin},
		event.RecommendationShown: {Outcome: event.Either, Margin: new(float64)},
		event.FAQOpened:           {FAQ: "cost"},
		event.WorksheetCompleted:  {Shared: []string{"patching", "backup"}, Undecided: []string{}},
		event.CTAClicked:          {CTA: "book-call", Outcome: event.FullyManaged},
	}
	for i, typ := range event.Types {
		first.Events = append(first.Events, event.Event{ID: fmt.Sprintf("0193c5a2-7b1c-7d3e-8f4a-1b2c3d4e5f%02x", i),
			Type: typ, At: received.Add(-time.Duration(i) * time.Second), Data: data[typ]})
	}
	quiet := store.Batch{ // empty optional fields, no visitor, test traffic
		Batch: event.Batch{Partner: "globex", Widget: "w2", View: "view-2", Page: event.Page{Origin: "http://127.0.0.1:8081"},
			Events: []event.Event{{ID: "0193c5a2-7b1c-7d3e-8f4a-aaaaaaaaaaaa", Type: event.WidgetLoaded, At: received}},
			Test:   true},
		ReceivedAt: received.Add(time.Minute),
	}
	bot := quiet
	bot.Events = []event.Event{{ID: "0193c5a2-7b1c-7d3e-8f4a-bbbbbbbbbbbb", Type: event.WidgetViewed, At: received}}
	bot.Test, bot.Bot, bot.Visitor = false, true, []byte("a-bot")
	var out []store.Event
	seq := int64(3)
	for _, b := range []store.Batch{first, quiet, bot} {
		for _, e := range b.Records() {
			e.Seq = seq
			seq += 1 + seq%2
			out = append(out, e)
		}
	}
	return out
}

// openVersion2 makes a version-2 database at path holding events.
func openVersion2(t *testing.T, path string, events []store.Event) {
	t.Helper()
	w, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := (&Store{w: w}).migrateTo(context.Background(), 2); err != nil {
		t.Fatalf("migrating to version 2: %v", err)
	}
	insertVersion2(t, w, events)
}

// TestUpgradeToNarrowEvents opens a version-2 database, where each event
// was one wide row: Events returns exactly what that version returned (the
// records of the batches written, with their seqs), old ids are still
// duplicates, new events come after the old, and retention still works.
func TestUpgradeToNarrowEvents(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	received := time.Date(2025, 3, 1, 9, 0, 0, 123456000, time.UTC)
	old := version2Events(received)
	openVersion2(t, path, old)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after the upgrade: %v", err)
	}
	defer s.Close()
	got, err := s.Events(ctx, store.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(old, got); diff != "" {
		t.Errorf("events after the upgrade (-before +after):\n%s", diff)
	}
	checkBatches(t, s)

	// The old ids are still taken; a new event is stored after the old.
	retry := store.Batch{
		Batch: event.Batch{Partner: "acme", Widget: "w", View: "view-3", Page: event.Page{Origin: "https://www.acme.example"},
			Events: []event.Event{{ID: old[0].ID, Type: old[0].Type, At: old[0].At}}},
		ReceivedAt: received.AddDate(0, 0, 1),
	}
	fresh := retry
	fresh.Events = []event.Event{{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetLoaded, At: retry.ReceivedAt}}
	receipts, err := s.Write(ctx, []store.Batch{retry, fresh})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if diff := cmp.Diff([]store.Receipt{{Duplicates: 1}, {Accepted: 1}}, receipts); diff != "" {
		t.Errorf("receipts after the upgrade (-want +got):\n%s", diff)
	}
	checkBatches(t, s)
	newer, err := s.Events(ctx, store.EventQuery{After: old[len(old)-1].Seq})
	if err != nil {
		t.Fatal(err)
	}
	if len(newer) != 1 || newer[0].ID != fresh.Events[0].ID {
		t.Errorf("events after the last old one: %+v; want only the new event", newer)
	}

	// Retention deletes the old events and their batches, and keeps the new.
	n, err := s.DeleteEventsBefore(ctx, received.AddDate(0, 0, 1), 100)
	if err != nil {
		t.Fatalf("DeleteEventsBefore: %v", err)
	}
	if n != len(old) {
		t.Errorf("retention deleted %d events, want the %d old ones", n, len(old))
	}
	left, err := s.Events(ctx, store.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fresh.Records(), left, cmpopts.IgnoreFields(store.Event{}, "Seq")); diff != "" {
		t.Errorf("events after retention (-want +got):\n%s", diff)
	}
	checkBatches(t, s)
}

// TestUpgradeRefusesOtherIDs checks that a version-2 event id that cannot
// be stored as 16 bytes and read back unchanged stops the upgrade, which
// leaves the database as it was.
func TestUpgradeRefusesOtherIDs(t *testing.T) {
	for _, id := range []string{
		"0193C5A2-7B1C-7D3E-8F4A-1B2C3D4E5F60", // upper case
		"0193c5a27b1c7d3e8f4a1b2c3d4e5f60",     // no dashes
		"not-a-uuid",
	} {
		t.Run(id, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "forgefit.db")
			events := version2Events(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
			events[1].ID = id
			openVersion2(t, path, events)
			s, err := Open(context.Background(), path)
			if err == nil {
				s.Close()
				t.Fatalf("Open upgraded a database holding the event id %q", id)
			}
			if !strings.Contains(err.Error(), "canonical") {
				t.Errorf("Open: %v; want an error that names the id's form", err)
			}
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var version, stored int
			if err := db.QueryRow(`SELECT max(version), (SELECT count(*) FROM events WHERE event_id = ?) FROM schema_migrations`, id).Scan(&version, &stored); err != nil {
				t.Fatal(err)
			}
			if version != 2 || stored != 1 {
				t.Errorf("after the failed upgrade: version %d, %d events with the id; want version 2 and the event kept", version, stored)
			}
		})
	}
}

// TestUpgradeSaysSo checks that upgrading a database with data says so in
// the log before it starts, and how long each migration took: the copy
// takes minutes on a large database, with nothing else to show.
func TestUpgradeSaysSo(t *testing.T) {
	var logged bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	path := filepath.Join(t.TempDir(), "forgefit.db")
	openVersion2(t, path, version2Events(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)))
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, want := range []string{"upgrading the database schema", fmt.Sprintf("from=2 to=%d", SchemaVersion), `msg="applied a schema migration" version=3`, "took="} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logged.String())
		}
	}
}

// insertVersion4 stores batches as a version-4 writer did (batches and
// events as now, rollups left to the watermark), and returns the seq of the
// last event stored.
func insertVersion4(t *testing.T, db *sql.DB, batches ...store.Batch) int64 {
	t.Helper()
	one := func(kind statement) string {
		def := statements[kind]
		row := def.row
		if row == "" {
			row = "(" + strings.TrimSuffix(strings.Repeat("?, ", def.width), ", ") + ")"
		}
		return def.head + row + def.tail
	}
	var last int64
	for i := range batches {
		b := &batches[i]
		res, err := db.Exec(one(insertBatches), appendBatchArgs(nil, b)...)
		if err != nil {
			t.Fatalf("storing a batch in version 4: %v", err)
		}
		id, _ := res.LastInsertId()
		for j := range b.Events {
			e := &b.Events[j]
			ids, err := appendIDBytes(nil, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.Exec(one(eventStatement(e)), appendEventArgs(nil, b.Partner, id, ids, e)...)
			if err != nil {
				t.Fatalf("storing an event in version 4: %v", err)
			}
			last, _ = res.LastInsertId()
		}
	}
	return last
}

// TestUpgradeCountsEventsLeftOut opens a version-4 database, whose rollups
// counted nothing of test and bot events: its test and bot events before
// the watermark are counted by the upgrade, those after it by the recount
// at Open, the counted figures stay as they were, and a day with only
// events left out reads back with no newest event counted.
func TestUpgradeCountsEventsLeftOut(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forgefit.db")
	day1 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	flagged := func(b store.Batch, test, bot bool) store.Batch {
		b.Test, b.Bot = test, bot
		return b
	}
	globex := func(b store.Batch) store.Batch {
		b.Partner = "globex"
		return b
	}
	w, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Store{w: w}).migrateTo(ctx, 4); err != nil {
		t.Fatalf("migrating to version 4: %v", err)
	}
	// Rolled up by version 4: one counted view (its rollup as version 4
	// wrote it), and events left out, which it did not count.
	watermark := insertVersion4(t, w, views(day1, 1), flagged(views(day1, 2), true, false),
		flagged(views(day1, 3), false, true), flagged(views(day1, 1), true, true),
		globex(flagged(views(day1, 4), false, true)))
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE rollup_watermark SET seq = ?`, []any{watermark}},
		{`INSERT INTO rollup_days (partner, widget, day, newest) VALUES ('acme', 'w', '2026-11-20', ?)`, []any{day1.UnixMicro()}},
		{`INSERT INTO rollups (partner, widget, day, metric, key, n) VALUES ('acme', 'w', '2026-11-20', 'type', 'widget_viewed', 1),
			('acme', 'w', '2026-11-20', 'page', 'widget_viewed https://www.acme.example', 1)`, nil},
	} {
		if _, err := w.Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	// Stored after the watermark: not rolled up yet when version 4 stopped.
	insertVersion4(t, w, flagged(views(day1, 5), true, false), views(day2, 2), flagged(views(day2, 6), false, true))
	w.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after the upgrade: %v", err)
	}
	defer s.Close()
	got, err := s.Rollups(ctx, allDays)
	if err != nil {
		t.Fatal(err)
	}
	viewed := func(n int64) (map[event.Type]int64, map[store.Dimension]map[store.Split]int64) {
		return map[event.Type]int64{event.WidgetViewed: n}, map[store.Dimension]map[store.Split]int64{store.DimPage: {{Type: event.WidgetViewed, Value: "https://www.acme.example"}: n}}
	}
	want := []store.Rollup{
		{Day: store.Day(day1), Partner: "acme", Widget: "w", Newest: day1, TestEvents: 2 + 1 + 5, BotEvents: 3},
		{Day: store.Day(day1), Partner: "globex", Widget: "w", BotEvents: 4},
		{Day: store.Day(day2), Partner: "acme", Widget: "w", Newest: day2, BotEvents: 6},
	}
	want[0].Events, want[0].Splits = viewed(1)
	want[2].Events, want[2].Splits = viewed(2)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("rollups after the upgrade (-want +got):\n%s", diff)
	}
	checkRolledUp(t, "after the upgrade", s)
}
