package server

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
)

// Events name the content's ids (widget, question and option, FAQ entry,
// call to action, responsibility), and stats count by them. The event
// vocabulary checks their form only, so a made-up id would become a key of
// its own in the rollups, the stats and the dashboard: a few thousand
// requests of made-up ids made one partner's stats 10 MB. Ingest refuses an
// id the content does not define, as it refuses any bad input.
//
// Content is loaded once per process: new content arrives with a restart.
// Pages the previous content served stay open in browsers for a while and
// keep sending its ids (a question since renamed, say), so the ids that
// counted events carried on the day of the load and the day before are
// accepted too, for recentIDsFor after the load: read from the rollups,
// once, the first time an event names an id the content does not define,
// and bounded (recentIDsMax per widget and kind, the most counted first,
// for at most recentWidgetsMax widgets). A flood of made-up ids stored by
// an older server ranks last there (each was counted once or so) and, in
// any case, cannot add a key: only ids already counted are accepted.
const (
	recentIDsFor     = 48 * time.Hour
	recentIDsMax     = 256
	recentWidgetsMax = 64
	// recentRetry spaces reads of the recent ids after one failed, so a
	// flood of made-up ids against a failing store reads it once in a
	// while, not once a request.
	recentRetry = 10 * time.Second
)

// widgetIDs are the ids one widget's events may name.
type widgetIDs struct {
	questions        map[string]bool
	options          map[[2]string]bool    // question, option
	answers          map[store.Answer]bool // question, its position, option
	faqs             map[string]bool
	ctas             map[string]bool
	responsibilities map[string]bool
}

func newWidgetIDs() *widgetIDs {
	return &widgetIDs{
		questions: map[string]bool{}, options: map[[2]string]bool{}, answers: map[store.Answer]bool{},
		faqs: map[string]bool{}, ctas: map[string]bool{}, responsibilities: map[string]bool{},
	}
}

// add adds what w defines.
func (ids *widgetIDs) add(w *content.Widget) {
	for i, q := range w.Fit.Questions {
		ids.questions[q.ID] = true
		for _, o := range q.Options {
			ids.options[[2]string{q.ID, o.ID}] = true
			ids.answers[store.Answer{Question: q.ID, Index: i, Option: o.ID}] = true
		}
	}
	for _, e := range w.FAQ.Entries {
		ids.faqs[e.ID] = true
	}
	ids.ctas[w.CTA.ID] = true
	for _, r := range w.Worksheet.Responsibilities {
		ids.responsibilities[r.ID] = true
	}
}

// idSet is the ids of every widget of one source: the content loaded, or
// the recent rollups.
type idSet map[string]*widgetIDs

// contentIDSet reads every widget of lib in every locale it has.
func contentIDSet(lib *content.Library) idSet {
	set := idSet{}
	for _, id := range lib.IDs() {
		ids := newWidgetIDs()
		for _, loc := range lib.Locales(id) {
			if w, err := lib.Widget(id, loc); err == nil {
				ids.add(w)
			}
		}
		set[id] = ids
	}
	return set
}

// recentIDSet keeps, of rollups, the most counted ids of the most counted
// widgets, within the bounds above.
func recentIDSet(rollups []store.Rollup) idSet {
	type tally struct {
		events             int64
		answers            map[store.Answer]int64
		faqs, ctas, shared map[string]int64
	}
	byWidget := map[string]*tally{}
	for i := range rollups {
		r := &rollups[i]
		t := byWidget[r.Widget]
		if t == nil {
			t = &tally{answers: map[store.Answer]int64{}, faqs: map[string]int64{}, ctas: map[string]int64{}, shared: map[string]int64{}}
			byWidget[r.Widget] = t
		}
		for _, n := range r.Events {
			t.events += n
		}
		addCounts(t.answers, r.Answers)
		addCounts(t.faqs, r.FAQs)
		for c, n := range r.CTAs {
			t.ctas[c.CTA] += n
		}
		addCounts(t.shared, r.Shared)
		addCounts(t.shared, r.Undecided)
	}
	widgets := make(map[string]int64, len(byWidget))
	for w, t := range byWidget {
		widgets[w] = t.events
	}
	set := idSet{}
	for _, w := range mostCounted(widgets, recentWidgetsMax, strings.Compare) {
		t, ids := byWidget[w], newWidgetIDs()
		for _, a := range mostCounted(t.answers, recentIDsMax, compareAnswers) {
			ids.questions[a.Question] = true
			ids.options[[2]string{a.Question, a.Option}] = true
			ids.answers[a] = true
		}
		for _, f := range mostCounted(t.faqs, recentIDsMax, strings.Compare) {
			ids.faqs[f] = true
		}
		for _, c := range mostCounted(t.ctas, recentIDsMax, strings.Compare) {
			ids.ctas[c] = true
		}
		for _, r := range mostCounted(t.shared, recentIDsMax, strings.Compare) {
			ids.responsibilities[r] = true
		}
		set[w] = ids
	}
	return set
}

// mostCounted returns the n keys of m with the largest counts, ties in the
// order of tie.
func mostCounted[K comparable](m map[K]int64, n int, tie func(a, b K) int) []K {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b K) int { return cmp.Or(cmp.Compare(m[b], m[a]), tie(a, b)) })
	return keys[:min(n, len(keys))]
}

func compareAnswers(a, b store.Answer) int {
	return cmp.Or(strings.Compare(a.Question, b.Question), cmp.Compare(a.Index, b.Index), strings.Compare(a.Option, b.Option))
}

// contentIDs says which ids events may name: those of the content loaded,
// and those recent events carried (see above).
type contentIDs struct {
	current  idSet
	loadedAt time.Time
	// rollups reads the recent rollups: the store's.
	rollups func(context.Context, store.RollupQuery) ([]store.Rollup, error)
	log     *slog.Logger

	recent atomic.Pointer[idSet]
	mu     sync.Mutex // held while the recent ids are read
	tried  time.Time  // when they were last read, under mu
}

func newContentIDs(lib *content.Library, rollups func(context.Context, store.RollupQuery) ([]store.Rollup, error), log *slog.Logger, now time.Time) *contentIDs {
	return &contentIDs{current: contentIDSet(lib), loadedAt: now, rollups: rollups, log: log}
}

// check returns an error naming the first id of b that neither the
// content nor recent events define, or nil.
func (c *contentIDs) check(ctx context.Context, b *event.Batch, now time.Time) *Error {
	err := c.current.check(b)
	if err == nil || now.Sub(c.loadedAt) >= recentIDsFor {
		return err
	}
	return checkBoth(b, c.current, c.recentIDs(ctx, now))
}

// recentIDs returns the recent ids, reading them the first time.
func (c *contentIDs) recentIDs(ctx context.Context, now time.Time) idSet {
	if p := c.recent.Load(); p != nil {
		return *p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.recent.Load(); p != nil {
		return *p
	}
	if !c.tried.IsZero() && now.Sub(c.tried) < recentRetry {
		return nil
	}
	c.tried = now
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	day := store.Day(c.loadedAt)
	rollups, err := c.rollups(ctx, store.RollupQuery{From: day.AddDate(0, 0, -1), To: day})
	if err != nil {
		c.log.WarnContext(ctx, "reading the ids recent events carried failed; refusing the ids the content does not define", "err", err)
		return nil
	}
	set := recentIDSet(rollups)
	c.recent.Store(&set)
	return set
}

// check checks b against one set.
func (set idSet) check(b *event.Batch) *Error { return checkBoth(b, set, nil) }

// checkBoth returns an error naming the first id of b that neither a nor
// r defines (r may be nil).
func checkBoth(b *event.Batch, a, r idSet) *Error {
	wa, wr := a[b.Widget], r[b.Widget]
	if wa == nil && wr == nil {
		return Errorf(EInvalid, "widget: %q is not a widget this server has content for", b.Widget)
	}
	known := func(f func(*widgetIDs) bool) bool {
		return wa != nil && f(wa) || wr != nil && f(wr)
	}
	for i := range b.Events {
		e := &b.Events[i]
		d := &e.Data
		field := func(key string) string { return "events[" + strconv.Itoa(i) + "].data." + key }
		switch e.Type {
		case event.QuestionAnswered:
			switch {
			case !known(func(w *widgetIDs) bool { return w.questions[d.Question] }):
				return Errorf(EInvalid, "%s: %q is not a question of widget %q", field("question"), d.Question, b.Widget)
			case !known(func(w *widgetIDs) bool { return w.options[[2]string{d.Question, d.Option}] }):
				return Errorf(EInvalid, "%s: %q is not an option of question %q", field("option"), d.Option, d.Question)
			case !known(func(w *widgetIDs) bool {
				return w.answers[store.Answer{Question: d.Question, Index: deref(d.Index), Option: d.Option}]
			}):
				return Errorf(EInvalid, "%s: %d is not the position of question %q in the quiz", field("index"), deref(d.Index), d.Question)
			}
		case event.FAQOpened:
			if !known(func(w *widgetIDs) bool { return w.faqs[d.FAQ] }) {
				return Errorf(EInvalid, "%s: %q is not an FAQ entry of widget %q", field("faq"), d.FAQ, b.Widget)
			}
		case event.CTAClicked:
			if !known(func(w *widgetIDs) bool { return w.ctas[d.CTA] }) {
				return Errorf(EInvalid, "%s: %q is not the call to action of widget %q", field("cta"), d.CTA, b.Widget)
			}
		case event.WorksheetCompleted:
			for _, l := range []struct {
				key string
				ids []string
			}{{"shared", d.Shared}, {"undecided", d.Undecided}} {
				for j, id := range l.ids {
					if !known(func(w *widgetIDs) bool { return w.responsibilities[id] }) {
						return Errorf(EInvalid, "%s[%d]: %q is not a responsibility of widget %q's worksheet", field(l.key), j, id, b.Widget)
					}
				}
			}
		}
	}
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// addCounts adds src's counts to dst's.
func addCounts[K comparable](dst, src map[K]int64) {
	for k, n := range src {
		dst[k] += n
	}
}
