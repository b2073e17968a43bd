// Package stats computes the engagement figures the dashboard and the
// stats API show, from a store's daily rollups only, and keeps the merged
// rollups of closed periods in a bounded cache. It knows nothing of HTTP:
// the server validates the query and renders the figures.
package stats

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// Stats are the engagement figures of one partner (or all), one widget (or
// all) over a range of UTC days, computed from daily rollups only.
type Stats struct {
	From     string `json:"from"` // UTC day, YYYY-MM-DD, included
	To       string `json:"to"`   // UTC day, included
	TimeZone string `json:"time_zone"`
	Partner  string `json:"partner,omitempty"` // "" for all partners
	Widget   string `json:"widget,omitempty"`  // "" for all widgets
	// FreshAsOf is when the newest event counted was received; zero when
	// none was.
	FreshAsOf *time.Time `json:"fresh_as_of"`

	Totals Figures    `json:"totals"`
	Days   []DayStats `json:"days"` // every day of the range, oldest first

	Questions       []QuestionStats  `json:"questions"`       // in quiz order
	Outcomes        map[string]int64 `json:"outcomes"`        // quiz_completed by outcome
	Recommendations map[string]int64 `json:"recommendations"` // recommendation_shown by outcome
	CTAs            []CTAStats       `json:"ctas"`
	FAQs            []Ranked         `json:"faqs"`
	Worksheet       WorksheetStats   `json:"worksheet"`
	TopPages        []Ranked         `json:"top_pages"`   // by views
	UTMSources      []Ranked         `json:"utm_sources"` // by views
	UTMMediums      []Ranked         `json:"utm_mediums"`
	UTMCampaigns    []Ranked         `json:"utm_campaigns"`
	Locales         []Ranked         `json:"locales"`
	ContentVersions []Ranked         `json:"content_versions"`
}

// Figures are the headline counts and rates of a day or a range.
type Figures struct {
	Loads                int64   `json:"widget_loads"`
	Views                int64   `json:"views"`
	ViewRate             float64 `json:"view_rate"` // views / loads
	Visitors             int64   `json:"visitors"`  // daily unique visitors, summed over days
	QuizStarts           int64   `json:"quiz_starts"`
	Completions          int64   `json:"completions"`
	CompletionRate       float64 `json:"completion_rate"` // completions / quiz starts
	Restarts             int64   `json:"quiz_restarts"`
	Answers              int64   `json:"answers"`
	Recommendations      int64   `json:"recommendations"`
	CTAClicks            int64   `json:"cta_clicks"`
	ClickThrough         float64 `json:"click_through"` // CTA clicks / views
	FAQOpens             int64   `json:"faq_opens"`
	WorksheetCompletions int64   `json:"worksheet_completions"`
	CoManaged            int64   `json:"outcome_co_managed"`
	FullyManaged         int64   `json:"outcome_fully_managed"`
	Either               int64   `json:"outcome_either"`

	// Events left out of every figure above: from test-mode embeds, and
	// from bots (crawlers, webdriver). An event flagged as both is test.
	TestEvents int64 `json:"excluded_test_events"`
	BotEvents  int64 `json:"excluded_bot_events"`
}

// DayStats are one UTC day's figures.
type DayStats struct {
	Day string `json:"day"`
	Figures
}

// QuestionStats is one question of the funnel.
type QuestionStats struct {
	Question string `json:"question"`
	Index    int    `json:"index"`
	Answers  int64  `json:"answers"`
	// DropOff is the share of the previous step (quiz starts for the first
	// question) that did not answer this one.
	DropOff float64  `json:"drop_off"`
	Options []Ranked `json:"options"`
	// Other is, on the list's last row only, how many questions past the
	// cap that row sums (its Question is ""; it has no drop-off and no
	// options).
	Other int64 `json:"other,omitempty"`
}

// CTAStats counts clicks on one call to action with one outcome on screen.
type CTAStats struct {
	CTA     string `json:"cta"`
	Outcome string `json:"outcome,omitempty"`
	Clicks  int64  `json:"clicks"`
	// Other is, on the list's last row only, how many CTA and outcome
	// pairs past the cap that row sums (its CTA is "").
	Other int64 `json:"other,omitempty"`
}

// WorksheetStats says which responsibilities are most often left shared or
// undecided.
type WorksheetStats struct {
	Completions int64    `json:"completions"`
	Shared      []Ranked `json:"shared"`
	Undecided   []Ranked `json:"undecided"`
}

// Ranked is a count of one value, listed largest first.
type Ranked struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
	// Other is, on a capped list's last row only, how many values past
	// the cap that row sums; its Value is "".
	Other int64 `json:"other,omitempty"`
}

// Every list of values has a cap: its top values, then one "other" row
// that sums the rest. Ingest refuses ids the content does not define, but
// pages and UTM fields are the host page's, and a store may hold ids an
// older server accepted, so nothing bounds the values counted but these.
// The caps for ids are well above what a content defines (a quiz of 7
// questions of 3 options, a worksheet of 12 responsibilities), so that
// only made-up ids are ever folded.
const (
	topN                = 20                  // pages, UTM sources, mediums and campaigns, locales, content versions
	maxQuestions        = 40                  // the funnel
	maxOptions          = 20                  // each question's options
	maxFAQs             = 50                  // FAQ entries
	maxCTAs             = 20                  // CTA and outcome pairs
	MaxResponsibilities = event.MaxListLength // each worksheet list; a worksheet cannot hold more
)

// Compute folds rollups into Stats for the days from..to.
func Compute(rollups []store.Rollup, from, to time.Time, partner, widget string) *Stats {
	parts := make([]statsPart, len(rollups))
	for i := range rollups {
		parts[i] = dailyPart(&rollups[i])
	}
	return computeStats(parts, from, to, partner, widget)
}

// statsPart is what stats fold: a rollup whose breakdowns count (its Day is
// ignored) and the headline figures of each day it covers. A part is one
// daily rollup, or a closed month merged once and cached.
type statsPart struct {
	rollup *store.Rollup
	days   map[string]Figures // UTC day → figures, without rates
}

func dailyPart(r *store.Rollup) statsPart {
	var d DayStats
	d.Add(r)
	return statsPart{rollup: r, days: map[string]Figures{r.Day.Format(time.DateOnly): d.Figures}}
}

func computeStats(parts []statsPart, from, to time.Time, partner, widget string) *Stats {
	from, to = store.Day(from), store.Day(to)
	s := &Stats{
		From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), TimeZone: "UTC",
		Partner: partner, Widget: widget,
		Outcomes: map[string]int64{}, Recommendations: map[string]int64{},
	}
	days := map[string]*DayStats{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		s.Days = append(s.Days, DayStats{Day: d.Format(time.DateOnly)})
	}
	for i := range s.Days {
		days[s.Days[i].Day] = &s.Days[i]
	}
	answers := map[store.Answer]int64{}
	ctas := map[store.CTA]int64{}
	faqs, shared, undecided := map[string]int64{}, map[string]int64{}, map[string]int64{}
	splits := map[store.Dimension]map[string]int64{}
	for _, d := range store.Dimensions {
		splits[d] = map[string]int64{}
	}
	for _, part := range parts {
		for day, f := range part.days {
			if ds := days[day]; ds != nil {
				ds.Figures.Sum(&f)
			}
		}
		r := part.rollup
		if !r.Newest.IsZero() && (s.FreshAsOf == nil || r.Newest.After(*s.FreshAsOf)) {
			t := r.Newest
			s.FreshAsOf = &t
		}
		for o, n := range r.Completions {
			s.Outcomes[string(o)] += n
		}
		for o, n := range r.Recommendations {
			s.Recommendations[string(o)] += n
		}
		merge(answers, r.Answers)
		merge(ctas, r.CTAs)
		merge(faqs, r.FAQs)
		merge(shared, r.Shared)
		merge(undecided, r.Undecided)
		for d, m := range r.Splits {
			for sp, n := range m {
				if sp.Type == event.WidgetViewed {
					splits[d][sp.Value] += n
				}
			}
		}
	}
	for i := range s.Days {
		s.Days[i].rates()
		s.Totals.Sum(&s.Days[i].Figures)
	}
	s.Totals.rates()
	s.Questions = funnel(answers, s.Totals.QuizStarts)
	s.CTAs = ctaList(ctas)
	s.FAQs = Rank(faqs, maxFAQs)
	s.Worksheet = WorksheetStats{Completions: s.Totals.WorksheetCompletions,
		Shared: Rank(shared, MaxResponsibilities), Undecided: Rank(undecided, MaxResponsibilities)}
	s.TopPages = Rank(splits[store.DimPage], topN)
	s.UTMSources = Rank(splits[store.DimSource], topN)
	s.UTMMediums = Rank(splits[store.DimMedium], topN)
	s.UTMCampaigns = Rank(splits[store.DimCampaign], topN)
	s.Locales = Rank(splits[store.DimLocale], topN)
	s.ContentVersions = Rank(splits[store.DimContentVersion], topN)
	return s
}

// ctaList lists the clicks by CTA and outcome, most first, at most maxCTAs
// and an "other" row.
func ctaList(ctas map[store.CTA]int64) []CTAStats {
	out := make([]CTAStats, 0, len(ctas))
	for c, n := range ctas {
		out = append(out, CTAStats{CTA: c.CTA, Outcome: string(c.Outcome), Clicks: n})
	}
	slices.SortFunc(out, func(a, b CTAStats) int {
		return cmp.Or(cmp.Compare(b.Clicks, a.Clicks), strings.Compare(a.CTA, b.CTA), strings.Compare(a.Outcome, b.Outcome))
	})
	if len(out) <= maxCTAs {
		return out
	}
	other := CTAStats{Other: int64(len(out) - maxCTAs)}
	for _, c := range out[maxCTAs:] {
		other.Clicks += c.Clicks
	}
	return append(out[:maxCTAs:maxCTAs], other)
}

// Add adds r's headline figures to d's, rates aside.
func (d *DayStats) Add(r *store.Rollup) {
	f := &d.Figures
	e := r.Events
	f.Loads += e[event.WidgetLoaded]
	f.Views += e[event.WidgetViewed]
	f.QuizStarts += e[event.QuizStarted]
	f.Completions += e[event.QuizCompleted]
	f.Restarts += e[event.QuizRestarted]
	f.Answers += e[event.QuestionAnswered]
	f.Recommendations += e[event.RecommendationShown]
	f.CTAClicks += e[event.CTAClicked]
	f.FAQOpens += e[event.FAQOpened]
	f.WorksheetCompletions += e[event.WorksheetCompleted]
	f.Visitors += r.Visitors
	f.CoManaged += r.Completions[event.CoManaged]
	f.FullyManaged += r.Completions[event.FullyManaged]
	f.Either += r.Completions[event.Either]
	f.TestEvents += r.TestEvents
	f.BotEvents += r.BotEvents
}

// Sum adds o's counts to f's, rates aside.
func (f *Figures) Sum(o *Figures) {
	f.Loads += o.Loads
	f.Views += o.Views
	f.Visitors += o.Visitors
	f.QuizStarts += o.QuizStarts
	f.Completions += o.Completions
	f.Restarts += o.Restarts
	f.Answers += o.Answers
	f.Recommendations += o.Recommendations
	f.CTAClicks += o.CTAClicks
	f.FAQOpens += o.FAQOpens
	f.WorksheetCompletions += o.WorksheetCompletions
	f.CoManaged += o.CoManaged
	f.FullyManaged += o.FullyManaged
	f.Either += o.Either
	f.TestEvents += o.TestEvents
	f.BotEvents += o.BotEvents
}

func (f *Figures) rates() {
	f.ViewRate = Ratio(f.Views, f.Loads)
	f.CompletionRate = Ratio(f.Completions, f.QuizStarts)
	f.ClickThrough = Ratio(f.CTAClicks, f.Views)
}

// Ratio is a/b rounded to four places, and 0 when b is.
func Ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(int64(float64(a)/float64(b)*10000+0.5)) / 10000
}

func merge[K comparable](dst, src map[K]int64) {
	for k, n := range src {
		dst[k] += n
	}
}

// funnel orders the questions by their position in the quiz and says how
// many visitors each step lost. It keeps the maxQuestions questions most
// answered, and sums the others in a last "other" row.
func funnel(answers map[store.Answer]int64, starts int64) []QuestionStats {
	byQ := map[string]*QuestionStats{}
	for a, n := range answers {
		q := byQ[a.Question]
		if q == nil {
			q = &QuestionStats{Question: a.Question, Index: a.Index}
			byQ[a.Question] = q
		}
		q.Index = min(q.Index, a.Index)
		q.Answers += n
		q.Options = append(q.Options, Ranked{Value: a.Option, Count: n})
	}
	out := make([]QuestionStats, 0, len(byQ))
	for _, q := range byQ {
		out = append(out, *q)
	}
	var other *QuestionStats
	if len(out) > maxQuestions {
		slices.SortFunc(out, func(a, b QuestionStats) int {
			return cmp.Or(cmp.Compare(b.Answers, a.Answers), strings.Compare(a.Question, b.Question))
		})
		other = &QuestionStats{Other: int64(len(out) - maxQuestions), Options: []Ranked{}}
		for _, q := range out[maxQuestions:] {
			other.Answers += q.Answers
		}
		out = out[:maxQuestions]
	}
	for i := range out {
		out[i].Options = Rank(mergeRanked(out[i].Options), maxOptions)
	}
	slices.SortFunc(out, func(a, b QuestionStats) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), strings.Compare(a.Question, b.Question))
	})
	prev := starts
	for i := range out {
		if prev > 0 {
			out[i].DropOff = max(0, 1-Ratio(out[i].Answers, prev))
			out[i].DropOff = float64(int64(out[i].DropOff*10000+0.5)) / 10000
		}
		prev = out[i].Answers
	}
	if other != nil {
		out = append(out, *other)
	}
	return out
}

func mergeRanked(rs []Ranked) map[string]int64 {
	m := map[string]int64{}
	for _, r := range rs {
		m[r.Value] += r.Count
	}
	return m
}

// Rank lists m largest first (ties by value). When n > 0 it lists at most
// n, then one "other" row that sums the rest.
func Rank(m map[string]int64, n int) []Ranked {
	out := make([]Ranked, 0, len(m))
	for v, c := range m {
		out = append(out, Ranked{Value: v, Count: c})
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	if n <= 0 || len(out) <= n {
		return out
	}
	other := Ranked{Other: int64(len(out) - n)}
	for _, r := range out[n:] {
		other.Count += r.Count
	}
	return append(out[:n:n], other)
}
