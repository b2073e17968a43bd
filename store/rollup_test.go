package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// sampleEvents returns events of every kind the rollups count, on one day
// of one widget, some of them left out.
func sampleEvents(day time.Time) []store.Event {
	idx := 1
	mk := func(typ event.Type, d event.Data, locale, source string) store.Event {
		return store.Event{Partner: "acme", Widget: "w", Type: typ, Data: d, Day: day, ReceivedAt: day.Add(time.Hour),
			Locale: locale, ContentVersion: "v2", UTM: event.UTM{Source: source},
			Page: event.Page{Origin: "https://www.acme.example", Path: "/fit"}}
	}
	return []store.Event{
		mk(event.WidgetViewed, event.Data{}, "de", "google"),
		mk(event.WidgetViewed, event.Data{}, "en", ""),
		mk(event.QuestionAnswered, event.Data{Question: "q", Index: &idx, Option: "o"}, "de", ""),
		mk(event.QuizCompleted, event.Data{Outcome: event.CoManaged}, "de", "google"),
		mk(event.CTAClicked, event.Data{CTA: "book", Outcome: event.CoManaged}, "de", "news"),
		mk(event.FAQOpened, event.Data{FAQ: "cost"}, "de", ""),
		mk(event.WorksheetCompleted, event.Data{Shared: []string{"backup"}, Undecided: []string{"patching"}}, "de", ""),
		{Partner: "acme", Widget: "w", Type: event.WidgetViewed, Day: day, Test: true},
		{Partner: "acme", Widget: "w", Type: event.WidgetViewed, Day: day, Bot: true},
	}
}

// TestRollupMerge checks that merging rollups adds up what adding their
// events to one rollup counts, splits by dimension included.
func TestRollupMerge(t *testing.T) {
	day := store.Day(time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC))
	k := store.RollupKey{Day: day, Partner: "acme", Widget: "w"}
	events := sampleEvents(day)
	want := store.NewRollup(k)
	a, b := store.NewRollup(k), store.NewRollup(k)
	for i := range events {
		want.Add(&events[i])
		if i%2 == 0 {
			a.Add(&events[i])
		} else {
			b.Add(&events[i])
		}
	}
	a.Visitors, b.Visitors, want.Visitors = 2, 1, 3
	got := store.NewRollup(k)
	got.Merge(a)
	got.Merge(b)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if len(want.Splits[store.DimPage]) == 0 || len(want.Splits[store.DimSource]) != 3 || len(want.Splits[store.DimMedium]) != 0 {
		t.Errorf("splits by dimension: %v", want.Splits)
	}
}

// TestRollupCountsRoundTrip checks that a rollup's flat form, each split
// dimension under its own metric, gives the rollup back.
func TestRollupCountsRoundTrip(t *testing.T) {
	day := store.Day(time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC))
	k := store.RollupKey{Day: day, Partner: "acme", Widget: "w"}
	events := sampleEvents(day)
	want := store.NewRollup(k)
	for i := range events {
		want.Add(&events[i])
	}
	want.Visitors = 2
	metrics := map[string]bool{}
	got := store.NewRollup(k)
	got.Newest = want.Newest
	for _, c := range want.Counts() {
		metrics[c.Metric] = true
		if err := got.AddCount(c); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("from counts (-want +got):\n%s", diff)
	}
	for _, m := range []string{"page", "source", "locale", "content_version"} {
		if !metrics[m] {
			t.Errorf("no count under metric %q", m)
		}
	}
	if err := got.AddCount(store.Count{Metric: "pages", Key: "widget_viewed x", N: 1}); err == nil {
		t.Error("a count of an unknown metric was added")
	}
}

// TestPlanWrite checks the plan both engines share: repeats within the
// call never reach SQL, receipts add up, and a visitor counts once a day,
// with the first batch that stores a counted event of theirs.
func TestPlanWrite(t *testing.T) {
	at := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	batch := func(visitor string, test bool, ids ...string) store.Batch {
		b := store.Batch{ReceivedAt: at, Visitor: []byte(visitor)}
		b.Partner, b.Widget, b.Test = "acme", "w", test
		for _, id := range ids {
			b.Events = append(b.Events, event.Event{ID: id, Type: event.WidgetViewed, At: at})
		}
		return b
	}
	batches := []store.Batch{
		batch("v1", true, "a"),       // test traffic: no visitor counted
		batch("v1", false, "b", "b"), // a repeat within the batch
		batch("v1", false, "c"),      // the same visitor again
		batch("v2", false, "b"),      // a repeat of an earlier batch
		batch("v3", false, "d"),      // stored before: no visitor counted
		batch("v4", false, "e"),      // seen before this call
	}
	p := store.PlanWrite(batches)
	want := []store.Row{{0, 0}, {1, 0}, {2, 0}, {4, 0}, {5, 0}}
	if diff := cmp.Diff(want, p.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	var visitors []string
	for _, v := range p.Visitors {
		visitors = append(visitors, v.Visitor)
	}
	if diff := cmp.Diff([]string{"v1", "v3", "v4"}, visitors); diff != "" {
		t.Errorf("visitors to look up (-want +got):\n%s", diff)
	}
	rollups := map[store.RollupKey]*store.Rollup{}
	fresh := p.Count(rollups,
		func(i int) bool { return p.Event(p.Rows[i]).ID != "d" },
		func(v store.VisitorDay) bool { return v.Visitor == "v4" })
	receipts := []store.Receipt{{Accepted: 1}, {Accepted: 1, Duplicates: 1}, {Accepted: 1}, {Duplicates: 1}, {Duplicates: 1}, {Accepted: 1}}
	if diff := cmp.Diff(receipts, p.Receipts); diff != "" {
		t.Errorf("receipts (-want +got):\n%s", diff)
	}
	if len(fresh) != 1 || fresh[0].Visitor != "v1" {
		t.Errorf("visitors counted: %v, want v1 alone", fresh)
	}
	r := rollups[store.RollupKey{Day: store.Day(at), Partner: "acme", Widget: "w"}]
	if r == nil || r.Visitors != 1 || r.Events[event.WidgetViewed] != 3 || r.TestEvents != 1 {
		t.Errorf("rollup: %+v", r)
	}
}
