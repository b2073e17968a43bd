// Package storetest is the conformance suite of store.Store: every engine
// (store/sqlite, store/postgres) runs it, so none behaves differently
// from another except in speed.
package storetest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// Open returns a store for t. The first call with a given t returns a
// store on a new, empty database; a later call with the same t, after the
// previous store was closed, reopens that same database (for the
// durability tests). The suite closes every store it opens.
type Open func(t *testing.T) store.Store

// Run runs the suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tt := range []struct {
		name string
		test func(*testing.T, Open)
	}{
		{"Empty", testEmpty},
		{"WriteAndRead", testWriteAndRead},
		{"DuplicateBatch", testDuplicateBatch},
		{"DuplicatesInOneCommit", testDuplicatesInOneCommit},
		{"Concurrent", testConcurrent},
		{"RollupsMatchEvents", testRollupsMatchEvents},
		{"RollupQueries", testRollupQueries},
		{"TestAndBotLeftOut", testTestAndBot},
		{"Visitors", testVisitors},
		{"Retention", testRetention},
		{"Durable", testDurable},
		{"ReadsDuringWrites", testReadsDuringWrites},
		{"VisitorSalts", testVisitorSalts},
		{"WriteProbe", testWriteProbe},
		{"Installations", testInstallations},
		{"EndedSessions", testEndedSessions},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open) })
	}
}

// opened opens a store and closes it when the test ends, unless the test
// closed it already.
func opened(t *testing.T, open Open) store.Store {
	t.Helper()
	s := open(t)
	c := &closeOnce{Store: s}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	return c
}

type closeOnce struct {
	store.Store
	closed bool
}

func (c *closeOnce) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.Store.Close()
}

// day0 is the first day of the test data: far enough in the past that
// retention may delete it.
var day0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// everyYear covers every day of the test data.
var everyYear = store.RollupQuery{From: day0.AddDate(-1, 0, 0), To: day0.AddDate(1, 0, 0)}

// options compares stores' answers: a nil map or slice equals an empty
// one, and Seq is the store's own.
var options = gocmp.Options{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(store.Event{}, "Seq")}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func intp(i int) *int           { return &i }
func floatp(f float64) *float64 { return &f }

// everyType returns one event of each type.
func everyType(at time.Time) []event.Event {
	data := map[event.Type]event.Data{
		event.QuestionAnswered:    {Question: "internal-it", Option: "capable-team", Index: intp(0)},
		event.QuizCompleted:       {Outcome: event.CoManaged, Margin: floatp(0.4)},
		event.RecommendationShown: {Outcome: event.CoManaged, Margin: floatp(0.4)},
		event.FAQOpened:           {FAQ: "cost"},
		event.WorksheetCompleted:  {Shared: []string{"patching", "backup"}, Undecided: []string{}},
		event.CTAClicked:          {CTA: "book-call", Outcome: event.CoManaged},
	}
	var evs []event.Event
	for _, t := range event.Types {
		evs = append(evs, event.Event{ID: newID(), Type: t, At: at, Data: data[t]})
	}
	return evs
}

// newBatch returns a batch from partner's widget received at received.
func newBatch(partner, widget string, received time.Time, evs ...event.Event) store.Batch {
	return store.Batch{
		Batch: event.Batch{
			Partner: partner, Widget: widget, View: newID(), Locale: "en", ContentVersion: "v1",
			Page:   event.Page{Origin: "https://www.acme.example", Path: "/it-services"},
			UTM:    event.UTM{Source: "newsletter", Medium: "email", Campaign: "q4 launch"},
			Events: evs,
		},
		ReceivedAt: received,
	}
}

func write(t *testing.T, s store.Store, batches ...store.Batch) []store.Receipt {
	t.Helper()
	got, err := s.Write(context.Background(), batches)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if len(got) != len(batches) {
		t.Fatalf("Write returned %d receipts for %d batches", len(got), len(batches))
	}
	return got
}

// allEvents reads every stored event, a page at a time.
func allEvents(t *testing.T, s store.Store) []store.Event {
	t.Helper()
	var all []store.Event
	after := int64(0)
	for {
		page, err := s.Events(context.Background(), store.EventQuery{After: after, Limit: 100})
		if err != nil {
			t.Fatalf("Events: %v", err)
		}
		all = append(all, page...)
		if len(page) < 100 {
			return all
		}
		after = page[len(page)-1].Seq
	}
}

func rollups(t *testing.T, s store.Store, q store.RollupQuery) []store.Rollup {
	t.Helper()
	got, err := s.Rollups(context.Background(), q)
	if err != nil {
		t.Fatalf("Rollups: %v", err)
	}
	return got
}

// Rollups computes from raw events the rollups a store must hold for them:
// every event added to its day's rollup (those left out counted as such),
// and the distinct visitor hashes of each day's counted events. Sorted as
// Store.Rollups sorts.
func Rollups(events []store.Event) []store.Rollup {
	byKey := map[store.RollupKey]*store.Rollup{}
	visitors := map[store.RollupKey]map[string]bool{}
	for i := range events {
		e := &events[i]
		k := store.RollupKey{Day: e.Day, Partner: e.Partner, Widget: e.Widget}
		if byKey[k] == nil {
			byKey[k], visitors[k] = store.NewRollup(k), map[string]bool{}
		}
		byKey[k].Add(e)
		if e.Counted() && e.Visitor != nil {
			visitors[k][string(e.Visitor)] = true
		}
	}
	var out []store.Rollup
	for k, r := range byKey {
		r.Visitors = int64(len(visitors[k]))
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b store.Rollup) int {
		return cmp.Or(a.Day.Compare(b.Day), strings.Compare(a.Partner, b.Partner), strings.Compare(a.Widget, b.Widget))
	})
	return out
}

// records returns what the store must hold for batches stored once each.
func records(batches ...store.Batch) []store.Event {
	var out []store.Event
	for i := range batches {
		out = append(out, batches[i].Records()...)
	}
	return out
}

func checkEvents(t *testing.T, s store.Store, want []store.Event) {
	t.Helper()
	got := allEvents(t, s)
	byID := func(a, b store.Event) int {
		return cmp.Or(strings.Compare(a.Partner, b.Partner), strings.Compare(a.ID, b.ID))
	}
	slices.SortFunc(got, byID)
	want = slices.Clone(want)
	slices.SortFunc(want, byID)
	if diff := gocmp.Diff(want, got, options); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
}

// checkRollups checks that the stored rollups are exactly those of the
// stored raw events.
func checkRollups(t *testing.T, s store.Store) {
	t.Helper()
	want := Rollups(allEvents(t, s))
	if diff := gocmp.Diff(want, rollups(t, s, everyYear), options); diff != "" {
		t.Errorf("rollups (-from raw events +stored):\n%s", diff)
	}
}

func checkReceipts(t *testing.T, want, got []store.Receipt) {
	t.Helper()
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("receipts (-want +got):\n%s", diff)
	}
}

func testEmpty(t *testing.T, open Open) {
	s := opened(t, open)
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if got := rollups(t, s, everyYear); len(got) != 0 {
		t.Errorf("a new store has rollups: %v", got)
	}
	if got := allEvents(t, s); len(got) != 0 {
		t.Errorf("a new store has events: %v", got)
	}
	checkReceipts(t, []store.Receipt{{}}, write(t, s, store.Batch{}))
}

func testWriteAndRead(t *testing.T, open Open) {
	s := opened(t, open)
	received := day0.Add(9*time.Hour + 1234567*time.Nanosecond)
	b := newBatch("acme", "co-managed-vs-fully-managed", received, everyType(received.Add(-time.Second))...)
	b.Visitor = []byte{1, 2, 3}
	checkReceipts(t, []store.Receipt{{Accepted: len(b.Events)}}, write(t, s, b))
	checkEvents(t, s, records(b))
	checkRollups(t, s)

	// Spell out one rollup once, so that Add itself is checked too.
	w := newBatch("acme", "w", day0, everyType(day0)...)
	w.Locale, w.ContentVersion = "de", "v2"
	w.Page.Path = "/"
	w.UTM = event.UTM{Source: "google ads"}
	w.Visitor = []byte("v")
	write(t, s, w)
	got := rollups(t, s, store.RollupQuery{Partner: "acme", Widget: "w", From: day0, To: day0})
	viewed, completed, clicked := event.WidgetViewed, event.QuizCompleted, event.CTAClicked
	events := map[event.Type]int64{}
	for _, typ := range event.Types {
		events[typ] = 1
	}
	want := []store.Rollup{{
		Day: day0, Partner: "acme", Widget: "w", Newest: day0, Events: events, Visitors: 1,
		Answers:         map[store.Answer]int64{{Question: "internal-it", Index: 0, Option: "capable-team"}: 1},
		Completions:     map[event.Outcome]int64{event.CoManaged: 1},
		Recommendations: map[event.Outcome]int64{event.CoManaged: 1},
		FAQs:            map[string]int64{"cost": 1},
		CTAs:            map[store.CTA]int64{{CTA: "book-call", Outcome: event.CoManaged}: 1},
		Shared:          map[string]int64{"patching": 1, "backup": 1},
		Splits: map[store.Dimension]map[store.Split]int64{
			store.DimPage: {{Type: viewed, Value: "https://www.acme.example/"}: 1,
				{Type: completed, Value: "https://www.acme.example/"}: 1, {Type: clicked, Value: "https://www.acme.example/"}: 1},
			store.DimSource:         {{Type: viewed, Value: "google ads"}: 1, {Type: completed, Value: "google ads"}: 1, {Type: clicked, Value: "google ads"}: 1},
			store.DimLocale:         {{Type: viewed, Value: "de"}: 1, {Type: completed, Value: "de"}: 1, {Type: clicked, Value: "de"}: 1},
			store.DimContentVersion: {{Type: viewed, Value: "v2"}: 1, {Type: completed, Value: "v2"}: 1, {Type: clicked, Value: "v2"}: 1},
		},
	}}
	if diff := gocmp.Diff(want, got, options); diff != "" {
		t.Errorf("rollup (-want +got):\n%s", diff)
	}
}

func testDuplicateBatch(t *testing.T, open Open) {
	s := opened(t, open)
	b := newBatch("acme", "w", day0.Add(time.Hour), everyType(day0)...)
	n := len(b.Events)
	checkReceipts(t, []store.Receipt{{Accepted: n}}, write(t, s, b))
	// The browser retries: the same events, received later (even a day
	// later), are duplicates and change nothing.
	b.ReceivedAt = b.ReceivedAt.Add(24 * time.Hour)
	checkReceipts(t, []store.Receipt{{Duplicates: n}}, write(t, s, b))
	b.ReceivedAt = day0.Add(time.Hour)
	checkEvents(t, s, records(b))
	checkRollups(t, s)
	// The same id from another partner is another event.
	other := b
	other.Partner = "globex"
	checkReceipts(t, []store.Receipt{{Accepted: n}}, write(t, s, other))
	checkEvents(t, s, records(b, other))
	checkRollups(t, s)
}

func testDuplicatesInOneCommit(t *testing.T, open Open) {
	s := opened(t, open)
	at := day0.Add(time.Hour)
	a, b, c := event.Event{ID: newID(), Type: event.WidgetLoaded, At: at},
		event.Event{ID: newID(), Type: event.WidgetViewed, At: at},
		event.Event{ID: newID(), Type: event.QuizStarted, At: at}
	first := newBatch("acme", "w", at, a, b)
	again := newBatch("acme", "w", at, b, a)    // a retry inside the same group
	twice := newBatch("acme", "w", at, c, c, a) // a repeat inside one batch
	elsewhere := newBatch("globex", "w", at, a) // another partner's id space
	got := write(t, s, first, again, twice, elsewhere)
	checkReceipts(t, []store.Receipt{{Accepted: 2}, {Duplicates: 2}, {Accepted: 1, Duplicates: 2}, {Accepted: 1}}, got)
	want := records(first)
	want = append(want, twice.Records()[0], elsewhere.Records()[0])
	checkEvents(t, s, want)
	checkRollups(t, s)
}

// testConcurrent sends every batch several times from several goroutines
// at once, in groups, as ingest's group commit and browser retries would.
func testConcurrent(t *testing.T, open Open) {
	s := opened(t, open)
	rng := rand.New(rand.NewPCG(1, 2))
	batches := randomBatches(rng, 60)
	const senders = 6
	errs := make(chan error, senders)
	accepted := make(chan int, senders)
	for g := range senders {
		go func() {
			order := rand.New(rand.NewPCG(uint64(g), 9)).Perm(len(batches))
			n := 0
			for len(order) > 0 {
				size := min(len(order), 1+g%5)
				var group []store.Batch
				for _, i := range order[:size] {
					group = append(group, batches[i])
				}
				order = order[size:]
				got, err := s.Write(context.Background(), group)
				if err != nil {
					errs <- err
					return
				}
				for _, r := range got {
					n += r.Accepted
				}
			}
			errs <- nil
			accepted <- n
		}()
	}
	total := 0
	for range senders {
		if err := <-errs; err != nil {
			t.Fatalf("Write: %v", err)
		}
		total += <-accepted
	}
	want := records(batches...)
	if total != len(want) {
		t.Errorf("%d events accepted in all, want %d: each exactly once", total, len(want))
	}
	checkEvents(t, s, want)
	checkRollups(t, s)
}

// randomBatches returns n batches over three days, two partners and two
// widgets, with every event type, visitors, test and bot traffic.
func randomBatches(rng *rand.Rand, n int) []store.Batch {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	outcomes := []event.Outcome{event.CoManaged, event.FullyManaged, event.Either}
	var out []store.Batch
	for range n {
		received := day0.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
		b := newBatch(pick("acme", "globex"), pick("w1", "w2"), received)
		b.Locale, b.ContentVersion = pick("en", "de", ""), pick("v1", "v2")
		b.Page = event.Page{Origin: pick("https://a.example", "http://127.0.0.1:8081"), Path: pick("", "/", "/it")}
		b.UTM = event.UTM{Source: pick("", "newsletter", "Google Ads"), Medium: pick("", "email"), Campaign: pick("", "q4")}
		b.Test, b.Bot = rng.IntN(8) == 0, rng.IntN(8) == 0
		if rng.IntN(3) > 0 {
			b.Visitor = []byte(pick("v1", "v2", "v3", "v4"))
		}
		for range 1 + rng.IntN(6) {
			e := event.Event{ID: newID(), Type: event.Types[rng.IntN(len(event.Types))], At: received}
			d := &e.Data
			switch e.Type {
			case event.QuestionAnswered:
				i := rng.IntN(3)
				d.Question, d.Index, d.Option = fmt.Sprintf("q%d", i), intp(i), pick("a", "b")
			case event.QuizCompleted, event.RecommendationShown:
				d.Outcome, d.Margin = outcomes[rng.IntN(3)], floatp(rng.Float64())
			case event.FAQOpened:
				d.FAQ = pick("cost", "security")
			case event.WorksheetCompleted:
				d.Shared, d.Undecided = []string{}, []string{}
				for _, r := range []string{"r1", "r2", "r3", "r4"} {
					switch rng.IntN(3) {
					case 0:
						d.Shared = append(d.Shared, r)
					case 1:
						d.Undecided = append(d.Undecided, r)
					}
				}
			case event.CTAClicked:
				d.CTA = pick("book-call", "download")
				d.Outcome = []event.Outcome{"", event.CoManaged, event.Either}[rng.IntN(3)]
			}
			b.Events = append(b.Events, e)
		}
		out = append(out, b)
	}
	return out
}

func testRollupsMatchEvents(t *testing.T, open Open) {
	s := opened(t, open)
	rng := rand.New(rand.NewPCG(3, 4))
	batches := randomBatches(rng, 200)
	for len(batches) > 0 {
		size := min(len(batches), 1+rng.IntN(30))
		write(t, s, batches[:size]...)
		batches = batches[size:]
	}
	checkRollups(t, s)
}

func testRollupQueries(t *testing.T, open Open) {
	s := opened(t, open)
	rng := rand.New(rand.NewPCG(5, 6))
	write(t, s, randomBatches(rng, 80)...)
	all := Rollups(allEvents(t, s))
	for _, q := range []store.RollupQuery{
		{Partner: "acme", From: day0, To: day0.AddDate(0, 0, 2)},
		{Partner: "acme", Widget: "w2", From: day0, To: day0.AddDate(0, 0, 2)},
		{Widget: "w1", From: day0.AddDate(0, 0, 1), To: day0.AddDate(0, 0, 1)},
		{From: day0.AddDate(0, 0, 1), To: day0.AddDate(0, 0, 2).Add(23 * time.Hour)}, // any time of a day means the day
		{Partner: "nobody", From: day0, To: day0.AddDate(0, 0, 2)},
		{From: day0.AddDate(0, 0, 3), To: day0.AddDate(0, 0, 9)},
	} {
		var want []store.Rollup
		for _, r := range all {
			if (q.Partner == "" || r.Partner == q.Partner) && (q.Widget == "" || r.Widget == q.Widget) &&
				!r.Day.Before(store.Day(q.From)) && !r.Day.After(store.Day(q.To)) {
				want = append(want, r)
			}
		}
		if diff := gocmp.Diff(want, rollups(t, s, q), options); diff != "" {
			t.Errorf("Rollups(%+v) (-want +got):\n%s", q, diff)
		}
	}
}

// testTestAndBot checks that test and bot events are stored, flagged, and
// rolled up only as events left out: counted in TestEvents and BotEvents,
// in nothing else, not even in Newest or as a visitor.
func testTestAndBot(t *testing.T, open Open) {
	s := opened(t, open)
	n := int64(len(event.Types))
	staging := newBatch("acme", "w", day0.Add(time.Hour), everyType(day0)...)
	staging.Test, staging.Visitor = true, []byte("v")
	crawler := newBatch("acme", "w", day0.Add(2*time.Hour), everyType(day0)...)
	crawler.Bot, crawler.Visitor = true, []byte("v")
	both := newBatch("acme", "w", day0.Add(3*time.Hour), everyType(day0)[:2]...) // a test embed in a webdriver
	both.Test, both.Bot = true, true
	write(t, s, staging, crawler, both)
	// A retry is a duplicate, left out or not: counted once.
	checkReceipts(t, []store.Receipt{{Duplicates: int(n)}}, write(t, s, crawler))
	checkEvents(t, s, records(staging, crawler, both)) // stored, flagged
	leftOut := []store.Rollup{{Day: day0, Partner: "acme", Widget: "w", TestEvents: n + 2, BotEvents: n}}
	if diff := gocmp.Diff(leftOut, rollups(t, s, everyYear), options); diff != "" {
		t.Errorf("rollups of test and bot events only (-want +got):\n%s", diff)
	}
	checkRollups(t, s)

	// The same visitor's first counted event still makes a visitor, and
	// the day's newest event counted is that one.
	first := everyType(day0)[:1]
	counted := newBatch("acme", "w", day0.Add(time.Minute), first...)
	counted.Visitor = []byte("v")
	write(t, s, counted)
	want := leftOut[0]
	want.Newest, want.Visitors = day0.Add(time.Minute), 1
	want.Events = map[event.Type]int64{first[0].Type: 1}
	if diff := gocmp.Diff([]store.Rollup{want}, rollups(t, s, everyYear), options); diff != "" {
		t.Errorf("rollups after one counted event (-want +got):\n%s", diff)
	}
	checkRollups(t, s)
}

func testVisitors(t *testing.T, open Open) {
	s := opened(t, open)
	at := func(d, h int) time.Time { return day0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour) }
	one := func(d, h int, visitor string) store.Batch {
		b := newBatch("acme", "w", at(d, h), event.Event{ID: newID(), Type: event.WidgetViewed, At: at(d, h)})
		if visitor != "" {
			b.Visitor = []byte(visitor)
		}
		return b
	}
	first := one(0, 1, "alice")
	write(t, s, first, one(0, 2, "alice"), one(0, 3, "bob")) // one commit
	write(t, s, one(0, 4, "alice"), one(0, 5, ""))           // no hash under GPC/DNT
	write(t, s, one(1, 1, "alice"))                          // a new day, a new count
	write(t, s, first)                                       // a duplicate adds no visitor
	other := one(0, 6, "alice")
	other.Widget = "other" // visitors are per widget
	write(t, s, other)
	got := map[string]int64{}
	for _, r := range rollups(t, s, everyYear) {
		got[r.Day.Format(time.DateOnly)+" "+r.Widget] = r.Visitors
	}
	want := map[string]int64{"2025-03-01 w": 2, "2025-03-02 w": 1, "2025-03-01 other": 1}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("visitors by day and widget (-want +got):\n%s", diff)
	}
	checkRollups(t, s)
}

func testRetention(t *testing.T, open Open) {
	s := opened(t, open)
	ctx := context.Background()
	var old, recent []store.Batch
	for i := range 7 {
		old = append(old, newBatch("acme", "w", day0.Add(time.Duration(i)*time.Hour), everyType(day0)[:1]...))
		recent = append(recent, newBatch("acme", "w", day0.AddDate(0, 0, 1).Add(time.Duration(i)*time.Hour), everyType(day0)[:1]...))
	}
	write(t, s, append(slices.Clone(old), recent...)...)
	before := rollups(t, s, everyYear)

	if _, err := s.DeleteEventsBefore(ctx, time.Now().Add(-time.Hour), 10); err == nil {
		t.Errorf("DeleteEventsBefore accepted a cutoff an hour ago, under MinRetention")
	}
	var counts []int
	for {
		n, err := s.DeleteEventsBefore(ctx, day0.AddDate(0, 0, 1), 3)
		if err != nil {
			t.Fatalf("DeleteEventsBefore: %v", err)
		}
		counts = append(counts, n)
		if n < 3 {
			break
		}
	}
	if diff := gocmp.Diff([]int{3, 3, 1}, counts); diff != "" {
		t.Errorf("events deleted per call (-want +got):\n%s", diff)
	}
	checkEvents(t, s, records(recent...))
	if diff := gocmp.Diff(before, rollups(t, s, everyYear), options); diff != "" {
		t.Errorf("retention changed the rollups (-before +after):\n%s", diff)
	}
}

// testDurable closes and reopens the database: what Write acknowledged is
// there, and reopening (which runs the migrations again) changes nothing.
func testDurable(t *testing.T, open Open) {
	s := opened(t, open)
	rng := rand.New(rand.NewPCG(7, 8))
	batches := randomBatches(rng, 30)
	write(t, s, batches...)
	events, rolled := allEvents(t, s), rollups(t, s, everyYear)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range 2 {
		s = opened(t, open)
		if diff := gocmp.Diff(events, allEvents(t, s), gocmp.Options{cmpopts.EquateEmpty()}); diff != "" {
			t.Errorf("events after reopening (-before +after):\n%s", diff)
		}
		if diff := gocmp.Diff(rolled, rollups(t, s, everyYear), options); diff != "" {
			t.Errorf("rollups after reopening (-before +after):\n%s", diff)
		}
		for i, r := range write(t, s, batches...) {
			if r.Accepted != 0 {
				t.Errorf("batch %d: %d events accepted again after reopening", i, r.Accepted)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// testReadsDuringWrites reads rollups while writes keep adding new days
// and partners: a read must see each rollup whole (its day row and its
// counts from one snapshot), never fail on one half-written.
func testReadsDuringWrites(t *testing.T, open Open) {
	s := opened(t, open)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 60 {
			b := newBatch(fmt.Sprintf("p%02d", i), "w", day0.AddDate(0, 0, i%20), everyType(day0)...)
			if _, err := s.Write(context.Background(), []store.Batch{b}); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
		}
	}()
	reads := 0
	for {
		select {
		case <-done:
			if reads == 0 {
				t.Error("no read ran while the writes did")
			}
			checkRollups(t, s)
			return
		default:
		}
		if _, err := s.Rollups(context.Background(), everyYear); err != nil {
			t.Fatalf("read %d during writes: %v", reads, err)
		}
		reads++
	}
}

// testVisitorSalts checks store.VisitorSalts, which every engine keeps:
// a day's first salt is that day's salt, after a reopen too (a restart
// mid-day must not count returning visitors again), and a salt is
// forgotten once its day is 48 hours old.
func testVisitorSalts(t *testing.T, open Open) {
	ctx := context.Background()
	salts := func(s store.Store) store.VisitorSalts {
		t.Helper()
		vs, ok := s.(*closeOnce).Store.(store.VisitorSalts)
		if !ok {
			t.Fatalf("%T does not keep visitor salts (store.VisitorSalts): a restart would forget the day's salt", s.(*closeOnce).Store)
		}
		return vs
	}
	salt := func(vs store.VisitorSalts, at time.Time, candidate byte) byte {
		t.Helper()
		got, err := vs.DailySalt(ctx, at, []byte{candidate})
		if err != nil || len(got) != 1 {
			t.Fatalf("DailySalt(%s): %v, %v", at, got, err)
		}
		return got[0]
	}
	s := opened(t, open)
	vs := salts(s)
	var got []byte
	got = append(got, salt(vs, day0.Add(10*time.Hour), 1), salt(vs, day0.Add(23*time.Hour), 2))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = opened(t, open) // a restart mid-day
	vs = salts(s)
	got = append(got,
		salt(vs, day0.Add(11*time.Hour), 3),
		salt(vs, day0.AddDate(0, 0, 1), 4), // the next day: a new salt
		salt(vs, day0, 5),                  // 24 hours on, the first day's is kept
		salt(vs, day0.AddDate(0, 0, 2), 6), // 48 hours on: the first day's goes
		salt(vs, day0, 7),                  // so that day gets a new one
		salt(vs, day0.AddDate(0, 0, 1), 8), // the second day's is still kept
	)
	if diff := gocmp.Diff([]byte{1, 1, 1, 4, 1, 6, 7, 4}, got); diff != "" {
		t.Errorf("salts (-want +got):\n%s", diff)
	}
}

// testWriteProbe checks store.WriteProber, which every engine has so that
// readiness learns of a recovered store with no events coming: a probe of
// a healthy store succeeds, again and again, and is no event and no
// figure.
func testWriteProbe(t *testing.T, open Open) {
	s := opened(t, open)
	p, ok := s.(*closeOnce).Store.(store.WriteProber)
	if !ok {
		t.Fatalf("%T has no write probe (store.WriteProber)", s.(*closeOnce).Store)
	}
	b := newBatch("acme", "w", day0, everyType(day0)...)
	write(t, s, b)
	for range 3 {
		if err := p.ProbeWrite(context.Background()); err != nil {
			t.Fatalf("ProbeWrite: %v", err)
		}
	}
	checkEvents(t, s, records(b))
	checkRollups(t, s)
}

// testEndedSessions ends dashboard sessions: each is reported ended from
// then on, after the store is reopened too, and not before; ending one
// twice is no error; records of sessions expired more than
// EndedSessionGrace ago go at the next EndSession, and only those.
func testEndedSessions(t *testing.T, open Open) {
	ctx := context.Background()
	s := opened(t, open)
	ended := func(s store.Store, id string) bool {
		t.Helper()
		got, err := s.SessionEnded(ctx, id)
		if err != nil {
			t.Fatalf("SessionEnded(%q): %v", id, err)
		}
		return got
	}
	end := func(s store.Store, id string, expires time.Time) {
		t.Helper()
		if err := s.EndSession(ctx, id, expires); err != nil {
			t.Fatalf("EndSession(%q): %v", id, err)
		}
	}
	now := time.Now()
	if ended(s, "signed-out") || ended(s, "") {
		t.Fatal("a session nobody ended is reported ended")
	}
	end(s, "signed-out", now.Add(12*time.Hour))
	end(s, "signed-out", now.Add(12*time.Hour)) // a second sign-out, or a second server's
	end(s, "expired-lately", now.Add(-store.EndedSessionGrace/2))
	end(s, "expired-long-ago", now.Add(-store.EndedSessionGrace-time.Minute))
	if ended(s, "still-signed-in") {
		t.Error("ending one session ended another")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = opened(t, open)
	if !ended(s, "signed-out") {
		t.Error("a signed-out session is no longer ended after reopening the store")
	}
	end(s, "another", now.Add(time.Hour))
	for id, want := range map[string]bool{
		"signed-out": true, "another": true,
		// Within the grace: another server's clock may still take it for
		// unexpired.
		"expired-lately":   true,
		"expired-long-ago": false,
	} {
		if got := ended(s, id); got != want {
			t.Errorf("SessionEnded(%q) = %v, want %v", id, got, want)
		}
	}
}
