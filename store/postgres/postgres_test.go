package postgres

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/store/pgtest"
	"github.com/ehforge/forgefit/store/storetest"
	"github.com/ehforge/forgefit/widget/event"
)

// TestMain shares one throwaway PostgreSQL server between the package's
// tests; each test gets a database of its own.
func TestMain(m *testing.M) { pgtest.Main(m) }

// databases remembers each test's database, so that a second open in the
// same test reopens it, as storetest.Open requires.
var databases sync.Map // *testing.T → URL

func open(t *testing.T) store.Store {
	t.Helper()
	u, ok := databases.Load(t)
	if !ok {
		u, _ = databases.LoadOrStore(t, pgtest.NewDatabase(t))
	}
	s, err := Open(context.Background(), u.(string))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

// TestMigrationsOnceWhenStartedTogether opens one new database from
// several stores at once, as servers starting together do: each
// migration is applied once, and every store opens.
func TestMigrationsOnceWhenStartedTogether(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const servers = 6
	var wg sync.WaitGroup
	errs := make([]error, servers)
	stores := make([]*Store, servers)
	for i := range servers {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	rows, _ := stores[0].pool.Query(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	var got []int
	var v int
	for rows.Next() {
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var want []int
	for v := 1; v <= SchemaVersion; v++ {
		want = append(want, v)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("applied migrations (-want +got):\n%s", diff)
	}
}

// TestSeveralServersOneDay has several stores (as several servers would)
// write the same visitors' events, with retries of the same events, on
// one day at once: every event is stored once, and the rollups, daily
// unique visitors included, are those of the stored events.
func TestSeveralServersOneDay(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const servers, rounds = 3, 40
	stores := make([]*Store, servers)
	for i := range stores {
		s, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		stores[i] = s
	}
	day := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	batch := func(r int, visitor string) store.Batch {
		at := day.Add(time.Duration(r) * time.Second)
		id := uuid.Must(uuid.NewV7()).String()
		return store.Batch{
			Batch: event.Batch{Partner: "acme", Widget: fmt.Sprintf("w%d", r%2), View: id,
				Events: []event.Event{{ID: id, Type: event.WidgetViewed, At: at}}},
			ReceivedAt: at, Visitor: []byte(visitor),
		}
	}
	// Each round, every visitor sends one batch that every server receives
	// (a browser retry that the load balancer sent elsewhere) and one
	// batch of its own to each server: several servers see a visitor's
	// first new events of the day at once.
	visitors := []string{"alice", "bob", "carol"}
	groups := make([][][]store.Batch, servers) // server → round → group
	for r := range rounds {
		var retried []store.Batch
		for _, v := range visitors {
			retried = append(retried, batch(r, v))
		}
		for i := range servers {
			group := slices.Clone(retried)
			for _, v := range visitors {
				group = append(group, batch(r, v))
			}
			groups[i] = append(groups[i], group)
		}
	}
	var wg sync.WaitGroup
	accepted := make([]int, servers)
	for i, s := range stores {
		wg.Go(func() {
			for _, group := range groups[i] {
				got, err := s.Write(context.Background(), group)
				if err != nil {
					t.Errorf("server %d: Write: %v", i, err)
					return
				}
				for _, r := range got {
					accepted[i] += r.Accepted
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range accepted {
		total += n
	}
	if want := rounds * len(visitors) * (1 + servers); total != want {
		t.Errorf("%d events accepted across servers, want %d: each exactly once", total, want)
	}
	events, err := stores[0].Events(context.Background(), store.EventQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	got, err := stores[1].Rollups(context.Background(), store.RollupQuery{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(storetest.Rollups(events), got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("rollups (-from raw events +stored):\n%s", diff)
	}
	for _, r := range got {
		if r.Visitors != int64(len(visitors)) {
			t.Errorf("%s: %d daily unique visitors, want %d", r.Widget, r.Visitors, len(visitors))
		}
	}
}

// TestDailySaltShared has several stores ask for one day's salt at once,
// each with a salt of its own: all get the same one. Salts 48 hours old
// are forgotten.
func TestDailySaltShared(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	const servers = 5
	got := make([][]byte, servers)
	var wg sync.WaitGroup
	for i := range servers {
		s, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Go(func() {
			var err error
			if got[i], err = s.DailySalt(context.Background(), day.Add(time.Hour), []byte{byte(i + 1)}); err != nil {
				t.Errorf("DailySalt: %v", err)
			}
		})
	}
	wg.Wait()
	for i := range got {
		if len(got[i]) != 1 || got[i][0] != got[0][0] {
			t.Fatalf("servers got salts %v, want one salt for all", got)
		}
	}
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DailySalt(context.Background(), day.AddDate(0, 0, 1), []byte{9}); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.DailySalt(context.Background(), day, []byte{7}); !bytes.Equal(again, got[0]) {
		t.Errorf("a day later, that day's salt is %v, want %v still", again, got[0])
	}
	if _, err := s.DailySalt(context.Background(), day.AddDate(0, 0, 2), []byte{8}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM visitor_salts WHERE day = $1`, day).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the salt of a day 48 hours old is still stored")
	}
}

// TestUpgradeCountsEventsLeftOut opens a version-2 database, whose rollups
// counted nothing of test and bot events: the upgrade counts the stored
// ones, the counted figures stay as they were, and a day with only events
// left out reads back with no newest event counted.
func TestUpgradeCountsEventsLeftOut(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	day1 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	views := func(partner string, received time.Time, n int, test, bot bool) store.Batch {
		b := store.Batch{
			Batch: event.Batch{Partner: partner, Widget: "w", View: uuid.Must(uuid.NewV7()).String(),
				Page: event.Page{Origin: "https://www.acme.example"}, Test: test, Bot: bot},
			ReceivedAt: received,
		}
		for range n {
			b.Events = append(b.Events, event.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: event.WidgetViewed, At: received})
		}
		return b
	}
	old, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Store{pool: old}).migrateTo(ctx, 2); err != nil {
		old.Close()
		t.Fatalf("migrating to version 2: %v", err)
	}
	// Stored by version 2, which rolled up the counted events only.
	var events []*store.Event
	counted := map[store.RollupKey]*store.Rollup{}
	for _, b := range []store.Batch{
		views("acme", day1, 1, false, false), views("acme", day1, 2, true, false), views("acme", day1, 3, false, true),
		views("acme", day1, 1, true, true), views("globex", day1, 4, false, true),
		views("acme", day2, 2, false, false), views("acme", day2, 6, false, true),
	} {
		for _, e := range b.Records() {
			events = append(events, &e)
			if e.Counted() {
				e.AddTo(counted)
			}
		}
	}
	tx, err := old.Begin(ctx)
	if err == nil {
		if _, err = tx.Exec(ctx, insertEvents, eventColumns(events)...); err == nil {
			if err = addRollups(ctx, tx, counted); err == nil {
				err = tx.Commit(ctx)
			}
		}
	}
	old.Close()
	if err != nil {
		t.Fatalf("storing events in version 2: %v", err)
	}

	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatalf("Open after the upgrade: %v", err)
	}
	defer s.Close()
	got, err := s.Rollups(ctx, store.RollupQuery{From: day1, To: day2})
	if err != nil {
		t.Fatal(err)
	}
	viewed := func(n int64) (map[event.Type]int64, map[store.Dimension]map[store.Split]int64) {
		return map[event.Type]int64{event.WidgetViewed: n}, map[store.Dimension]map[store.Split]int64{store.DimPage: {{Type: event.WidgetViewed, Value: "https://www.acme.example"}: n}}
	}
	want := []store.Rollup{
		{Day: store.Day(day1), Partner: "acme", Widget: "w", Newest: day1, TestEvents: 2 + 1, BotEvents: 3},
		{Day: store.Day(day1), Partner: "globex", Widget: "w", BotEvents: 4},
		{Day: store.Day(day2), Partner: "acme", Widget: "w", Newest: day2, BotEvents: 6},
	}
	want[0].Events, want[0].Splits = viewed(1)
	want[2].Events, want[2].Splits = viewed(2)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("rollups after the upgrade (-want +got):\n%s", diff)
	}
}
