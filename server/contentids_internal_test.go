package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// The ids read from recent rollups are bounded, and the most counted
// (the real ones, not a flood's) are the ones kept.
func TestRecentIDsAreBoundedMostCountedFirst(t *testing.T) {
	day := store.Day(time.Now())
	var rollups []store.Rollup
	for w := range recentWidgetsMax + 10 {
		r := store.NewRollup(store.RollupKey{Day: day, Partner: "acme", Widget: fmt.Sprintf("made-up-widget-%d", w)})
		r.Events = map[event.Type]int64{event.WidgetViewed: 1}
		rollups = append(rollups, *r)
	}
	r := store.NewRollup(store.RollupKey{Day: day, Partner: "acme", Widget: "real"})
	r.Events = map[event.Type]int64{event.WidgetViewed: 100}
	r.Answers = map[store.Answer]int64{{Question: "old-question", Index: 1, Option: "old-option"}: 50}
	r.FAQs = map[string]int64{"old-faq": 40}
	r.CTAs = map[store.CTA]int64{{CTA: "old-cta", Outcome: event.Either}: 30}
	r.Shared = map[string]int64{"old-duty": 20}
	for i := range 10_000 {
		id := fmt.Sprintf("made-up-%d", i)
		r.Answers[store.Answer{Question: id, Index: 0, Option: id}] = 1
		r.FAQs[id] = 1
		r.CTAs[store.CTA{CTA: id, Outcome: event.CoManaged}] = 1
		r.Undecided = map[string]int64{id: 1}
		r.Shared[id] = 1
	}
	rollups = append(rollups, *r)

	set := recentIDSet(rollups)
	if len(set) != recentWidgetsMax {
		t.Errorf("%d widgets kept, want %d", len(set), recentWidgetsMax)
	}
	ids := set["real"]
	if ids == nil {
		t.Fatal("the most counted widget was not kept")
	}
	for name, n := range map[string]int{
		"questions": len(ids.questions), "options": len(ids.options), "answers": len(ids.answers),
		"faqs": len(ids.faqs), "ctas": len(ids.ctas), "responsibilities": len(ids.responsibilities),
	} {
		if n > recentIDsMax {
			t.Errorf("%d %s kept, at most %d", n, name, recentIDsMax)
		}
	}
	if !ids.answers[store.Answer{Question: "old-question", Index: 1, Option: "old-option"}] || !ids.faqs["old-faq"] || !ids.ctas["old-cta"] || !ids.responsibilities["old-duty"] {
		t.Errorf("the most counted ids were not kept: %v %v %v %v",
			ids.answers[store.Answer{Question: "old-question", Index: 1, Option: "old-option"}], ids.faqs["old-faq"], ids.ctas["old-cta"], ids.responsibilities["old-duty"])
	}
}
