// Package store is Forge Fit's storage domain: the Store interface the
// server's ingest, stats and retention use, the events and daily rollups
// it keeps and their arithmetic, the flat form of the rollups' counts,
// migrations and the retention cutoff. It knows nothing of HTTP. Each
// engine lives in a package beneath it (store/sqlite, store/postgres) and
// passes the conformance suite in store/storetest.
package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ehforge/forgefit/widget/event"
)

// Store keeps the events that widgets report and the daily rollups that
// stats read.
//
// A Store is safe for concurrent use.
type Store interface {
	// Write stores the batches of many requests in one transaction (group
	// commit): each event once per partner and event id, all or nothing.
	// It returns one Receipt per batch, in order; a duplicate, whether
	// already stored or earlier in the same call, is counted as such and
	// never rolled up twice. When Write returns nil, the events are
	// durable on disk, and Rollups counts each newly stored event once: an
	// engine adds the figures in the same transaction (store/postgres) or
	// keeps them and writes them later, after a watermark, before any read
	// (store/sqlite).
	Write(ctx context.Context, batches []Batch) ([]Receipt, error)

	// Rollups returns the rollups of the days from q.From to q.To
	// (inclusive, UTC days), sorted by day, partner and widget. Only
	// days with stored events, counted or left out, have one.
	Rollups(ctx context.Context, q RollupQuery) ([]Rollup, error)

	// Events returns stored events in the order they were stored, after
	// q.After: for tests, checks and exports, never for stats.
	Events(ctx context.Context, q EventQuery) ([]Event, error)

	// DeleteEventsBefore deletes at most limit raw events received before
	// cutoff, in one short transaction, and returns how many it deleted;
	// call it until it returns less than limit. Rollups are kept. A cutoff
	// later than MinRetention ago is refused: deduplication and daily
	// unique visitors read the recent raw events.
	DeleteEventsBefore(ctx context.Context, cutoff time.Time, limit int) (int, error)

	// EndSession records that the dashboard session id was signed out
	// before it expires (at expires): SessionEnded then reports it, on
	// every server sharing the store, until EndedSessionGrace after that
	// expiry, when the session's signed cookie is refused anyway. Records
	// past that are deleted on the way, so the store keeps only recent
	// sign-outs. Ending a session twice is no error.
	EndSession(ctx context.Context, id string, expires time.Time) error

	// SessionEnded reports whether EndSession recorded id. Every dashboard
	// request with a session asks it, so it reads one key and nothing else.
	SessionEnded(ctx context.Context, id string) (bool, error)

	// Ping reports whether the store can be used (readiness).
	Ping(ctx context.Context) error

	// InstallStore keeps the installations' counts (installations.go).
	InstallStore

	// Close waits for running writes and releases the store.
	Close() error
}

// MinRetention is the shortest time raw events are kept: a browser may
// retry an event for up to event.MaxSkew, and a day's unique visitors are
// counted against that day's raw events.
const MinRetention = 48 * time.Hour

// EndedSessionGrace is how long a store keeps a signed-out session's
// record after the session's own expiry: the servers' clocks, which check
// that expiry, may differ from each other by less.
const EndedSessionGrace = time.Hour

// CheckRetentionCutoff refuses a cutoff under MinRetention ago: the
// engines' DeleteEventsBefore call it first.
func CheckRetentionCutoff(cutoff time.Time) error {
	if age := time.Since(cutoff); age < MinRetention {
		return fmt.Errorf("refusing to delete events younger than %s (cutoff %s)", MinRetention, cutoff)
	}
	return nil
}

// Batch is one request's events as ingest hands them to the store: the
// decoded and validated wire batch, and what the server adds. The server
// sets Bot as well when the user agent is a known crawler (the agent itself
// is never stored).
type Batch struct {
	event.Batch
	ReceivedAt time.Time // the server's clock; its UTC day is the events' day
	// Visitor is a keyed hash with a salt rotated daily, or nil: never
	// under Sec-GPC or DNT. The raw IP and user agent are not stored.
	Visitor []byte
}

// Receipt says what became of one batch's events: the body of the 202
// answer. Accepted + Duplicates is the number of events sent.
type Receipt struct {
	Accepted   int `json:"accepted"`   // newly stored
	Duplicates int `json:"duplicates"` // stored before, or twice in the batch
}

// Event is one interaction as the store keeps it: the wire event, its
// batch's context, and what the server added.
type Event struct {
	Seq int64 // the store's order of arrival, for paging through Events

	Partner        string
	ID             string // the browser's UUIDv7; unique per partner
	Type           event.Type
	At             time.Time // the browser's clock
	Data           event.Data
	Widget         string
	View           string
	Locale         string
	ContentVersion string
	Page           event.Page
	UTM            event.UTM

	ReceivedAt time.Time
	Day        time.Time // UTC day of ReceivedAt, at midnight
	Visitor    []byte    // nil when none
	Test       bool      // a test-mode embed: left out of the figures
	Bot        bool      // webdriver or crawler: left out of the figures
}

// Counted reports whether e counts in the figures: rollups count the
// others only as left out (Rollup.TestEvents, Rollup.BotEvents).
func (e *Event) Counted() bool { return !e.Test && !e.Bot }

// Day returns the UTC day of t, at midnight: the day an event received at
// t is counted on.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Records returns the batch's events as the store keeps them. Times are
// kept to the microsecond, in UTC, so every engine returns the same values.
func (b *Batch) Records() []Event {
	out := make([]Event, len(b.Events))
	for i := range b.Events {
		out[i] = b.Record(i)
	}
	return out
}

// Record returns the batch's event i as the store keeps it (see Records),
// for a store that needs one at a time.
func (b *Batch) Record(i int) Event {
	received := b.ReceivedAt.UTC().Truncate(time.Microsecond)
	e := &b.Events[i]
	return Event{
		Partner: b.Partner, ID: e.ID, Type: e.Type,
		At: e.At.UTC().Truncate(time.Microsecond), Data: e.Data,
		Widget: b.Widget, View: b.View, Locale: b.Locale, ContentVersion: b.ContentVersion,
		Page: b.Page, UTM: b.UTM,
		ReceivedAt: received, Day: Day(received), Visitor: b.Visitor,
		Test: b.Test, Bot: b.Bot,
	}
}

// EventQuery selects raw events.
type EventQuery struct {
	Partner string // "" for all
	After   int64  // Seq of the last event already read
	Limit   int    // at most this many; 0 means 1000
}

// RollupQuery selects daily rollups.
type RollupQuery struct {
	Partner  string    // "" for all
	Widget   string    // "" for all
	From, To time.Time // UTC days, both included
}

// Rollup is one day's figures for one partner's widget, counted from its
// counted events (not test, not bot) by the UTC day they were received,
// and how many events were left out of them. Maps hold only non-zero
// counts.
type Rollup struct {
	Day     time.Time
	Partner string
	Widget  string
	// Newest is the receive time of the newest event counted; zero when
	// the day has only events left out, so that stats' fresh_as_of and
	// "no data" are about counted events alone.
	Newest time.Time

	// Events left out of every figure below: test traffic (test-mode
	// embeds) and bot traffic (crawlers, webdriver). An event flagged as
	// both counts once, as test traffic: its embed said it was a test.
	TestEvents, BotEvents int64

	Events   map[event.Type]int64 // events by type
	Visitors int64                // distinct visitor hashes (not under GPC/DNT)

	Answers         map[Answer]int64        // question_answered
	Completions     map[event.Outcome]int64 // quiz_completed by outcome
	Recommendations map[event.Outcome]int64 // recommendation_shown by outcome
	FAQs            map[string]int64        // faq_opened by FAQ
	CTAs            map[CTA]int64           // cta_clicked
	Shared          map[string]int64        // worksheet_completed: left shared, by responsibility
	Undecided       map[string]int64        // worksheet_completed: undecided, by responsibility

	// Where the audience came from: views, completions and CTA clicks
	// (SplitTypes) by dimension (Dimensions): host page (origin + path),
	// UTM source, medium and campaign, locale and content version. A
	// dimension with no count has no map.
	Splits map[Dimension]map[Split]int64
}

// Dimension is one way of splitting the audience: where it came from. Its
// value names the dimension in the counts' flat form (Count.Metric).
type Dimension string

// The dimensions, in the order stats lists them.
const (
	DimPage           Dimension = "page"            // the host page: origin + path
	DimSource         Dimension = "source"          // utm_source
	DimMedium         Dimension = "medium"          // utm_medium
	DimCampaign       Dimension = "campaign"        // utm_campaign
	DimLocale         Dimension = "locale"          // the widget's locale
	DimContentVersion Dimension = "content_version" // the content's version
)

// Dimensions lists every Dimension.
var Dimensions = []Dimension{DimPage, DimSource, DimMedium, DimCampaign, DimLocale, DimContentVersion}

// dimensionValue returns e's value in dimension d, "" when it has none.
func dimensionValue(e *Event, d Dimension) string {
	switch d {
	case DimPage:
		if e.Page.Origin == "" {
			return ""
		}
		return e.Page.Origin + e.Page.Path
	case DimSource:
		return e.UTM.Source
	case DimMedium:
		return e.UTM.Medium
	case DimCampaign:
		return e.UTM.Campaign
	case DimLocale:
		return e.Locale
	case DimContentVersion:
		return e.ContentVersion
	}
	return ""
}

// AddSplit adds n to the count of s in dimension d.
func (r *Rollup) AddSplit(d Dimension, s Split, n int64) {
	if r.Splits == nil {
		r.Splits = map[Dimension]map[Split]int64{}
	}
	m := r.Splits[d]
	add(&m, s, n)
	r.Splits[d] = m
}

// Answer is one option chosen for one question; Index is the question's
// position in the quiz, which gives the funnel its order.
type Answer struct {
	Question string
	Index    int
	Option   string
}

// CTA is one call to action clicked, with the recommendation then on
// screen ("" if none).
type CTA struct {
	CTA     string
	Outcome event.Outcome
}

// Split is a count of one event type for one value of a dimension.
type Split struct {
	Type  event.Type
	Value string
}

// SplitTypes are the event types the dimension splits count: the
// funnel's milestones. Counting every type there would multiply the
// rollups for figures no one reads.
var SplitTypes = []event.Type{event.WidgetViewed, event.QuizCompleted, event.CTAClicked}

// RollupKey is what a Rollup is kept by.
type RollupKey struct {
	Day     time.Time
	Partner string
	Widget  string
}

// Key returns r's key.
func (r *Rollup) Key() RollupKey { return RollupKey{r.Day, r.Partner, r.Widget} }

// AddTo adds e, a newly stored event counted or left out, to the rollup
// of its day, partner and widget in m, which it adds when m has none yet:
// how the engines gather one write's figures.
func (e *Event) AddTo(m map[RollupKey]*Rollup) {
	k := RollupKey{Day: e.Day, Partner: e.Partner, Widget: e.Widget}
	r := m[k]
	if r == nil {
		r = NewRollup(k)
		m[k] = r
	}
	r.Add(e)
}

// NewRollup returns an empty rollup for k.
func NewRollup(k RollupKey) *Rollup {
	return &Rollup{Day: k.Day, Partner: k.Partner, Widget: k.Widget}
}

// Add counts e, an event of r's day, partner and widget: an event left out
// (not Counted) only as such, in TestEvents or BotEvents. It counts
// everything but Visitors, which needs to know the visitors already seen
// that day; the store counts those, from counted events only.
//
// Add is the one definition of how an event shows in stats: engines add
// every newly stored event with it, and the conformance suite rebuilds the
// expected rollups from raw events with it.
func (r *Rollup) Add(e *Event) {
	if !e.Counted() {
		if e.Test {
			r.TestEvents++
		} else {
			r.BotEvents++
		}
		return
	}
	if e.ReceivedAt.After(r.Newest) {
		r.Newest = e.ReceivedAt
	}
	inc(&r.Events, e.Type)
	d := &e.Data
	switch e.Type {
	case event.QuestionAnswered:
		inc(&r.Answers, Answer{d.Question, deref(d.Index), d.Option})
	case event.QuizCompleted:
		inc(&r.Completions, d.Outcome)
	case event.RecommendationShown:
		inc(&r.Recommendations, d.Outcome)
	case event.FAQOpened:
		inc(&r.FAQs, d.FAQ)
	case event.CTAClicked:
		inc(&r.CTAs, CTA{d.CTA, d.Outcome})
	case event.WorksheetCompleted:
		for _, id := range d.Shared {
			inc(&r.Shared, id)
		}
		for _, id := range d.Undecided {
			inc(&r.Undecided, id)
		}
	}
	for _, t := range SplitTypes {
		if e.Type != t {
			continue
		}
		for _, d := range Dimensions {
			if v := dimensionValue(e, d); v != "" {
				r.AddSplit(d, Split{t, v}, 1)
			}
		}
	}
}

func inc[K comparable](m *map[K]int64, k K) { add(m, k, 1) }

func add[K comparable](m *map[K]int64, k K, n int64) {
	if *m == nil {
		*m = map[K]int64{}
	}
	(*m)[k] += n
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// Merge adds o's figures to r's, whatever their keys, and keeps the newer
// Newest: how stats sum the rollups of a period.
func (r *Rollup) Merge(o *Rollup) {
	if o.Newest.After(r.Newest) {
		r.Newest = o.Newest
	}
	r.TestEvents += o.TestEvents
	r.BotEvents += o.BotEvents
	r.Visitors += o.Visitors
	mergeCounts(&r.Events, o.Events)
	mergeCounts(&r.Answers, o.Answers)
	mergeCounts(&r.Completions, o.Completions)
	mergeCounts(&r.Recommendations, o.Recommendations)
	mergeCounts(&r.FAQs, o.FAQs)
	mergeCounts(&r.CTAs, o.CTAs)
	mergeCounts(&r.Shared, o.Shared)
	mergeCounts(&r.Undecided, o.Undecided)
	for d, m := range o.Splits {
		for s, n := range m {
			r.AddSplit(d, s, n)
		}
	}
}

func mergeCounts[K comparable](dst *map[K]int64, src map[K]int64) {
	for k, n := range src {
		add(dst, k, n)
	}
}

// Count is one figure of a rollup in the flat form engines store: a
// metric, a key within it, and a count. Keys join their parts with a
// space, which no id or event type contains (a UTM value may, so it comes
// last).
type Count struct {
	Metric string
	Key    string
	N      int64
}

// Counts returns r's figures in flat form, Newest aside.
func (r *Rollup) Counts() []Count {
	var out []Count
	put := func(metric, key string, n int64) { out = append(out, Count{metric, key, n}) }
	for t, n := range r.Events {
		put("type", string(t), n)
	}
	if r.Visitors != 0 {
		put("visitors", "", r.Visitors)
	}
	if r.TestEvents != 0 {
		put("excluded", "test", r.TestEvents)
	}
	if r.BotEvents != 0 {
		put("excluded", "bot", r.BotEvents)
	}
	for a, n := range r.Answers {
		put("answer", a.Question+" "+strconv.Itoa(a.Index)+" "+a.Option, n)
	}
	for o, n := range r.Completions {
		put("completion", string(o), n)
	}
	for o, n := range r.Recommendations {
		put("recommendation", string(o), n)
	}
	for id, n := range r.FAQs {
		put("faq", id, n)
	}
	for c, n := range r.CTAs {
		put("cta", c.CTA+" "+string(c.Outcome), n)
	}
	for id, n := range r.Shared {
		put("shared", id, n)
	}
	for id, n := range r.Undecided {
		put("undecided", id, n)
	}
	for d, m := range r.Splits {
		for s, n := range m {
			put(string(d), string(s.Type)+" "+s.Value, n)
		}
	}
	return out
}

// isDimension reports whether metric names a Dimension.
func isDimension(metric string) bool {
	return slices.Contains(Dimensions, Dimension(metric))
}

// AddCount adds a figure in flat form, as Counts made it, to r.
func (r *Rollup) AddCount(c Count) error {
	bad := func() error { return fmt.Errorf("rollup count %q %q is malformed", c.Metric, c.Key) }
	parts := func(n int) []string { return strings.SplitN(c.Key, " ", n) }
	switch c.Metric {
	case "type":
		add(&r.Events, event.Type(c.Key), c.N)
	case "visitors":
		r.Visitors += c.N
	case "excluded":
		switch c.Key {
		case "test":
			r.TestEvents += c.N
		case "bot":
			r.BotEvents += c.N
		default:
			return bad()
		}
	case "answer":
		p := parts(3)
		if len(p) != 3 {
			return bad()
		}
		i, err := strconv.Atoi(p[1])
		if err != nil {
			return bad()
		}
		add(&r.Answers, Answer{p[0], i, p[2]}, c.N)
	case "completion":
		add(&r.Completions, event.Outcome(c.Key), c.N)
	case "recommendation":
		add(&r.Recommendations, event.Outcome(c.Key), c.N)
	case "faq":
		add(&r.FAQs, c.Key, c.N)
	case "cta":
		p := parts(2)
		if len(p) != 2 {
			return bad()
		}
		add(&r.CTAs, CTA{p[0], event.Outcome(p[1])}, c.N)
	case "shared":
		add(&r.Shared, c.Key, c.N)
	case "undecided":
		add(&r.Undecided, c.Key, c.N)
	default:
		p := parts(2)
		if !isDimension(c.Metric) || len(p) != 2 {
			return bad()
		}
		r.AddSplit(Dimension(c.Metric), Split{event.Type(p[0]), p[1]}, c.N)
	}
	return nil
}

// RollupSet assembles the rollups an engine reads from its two tables: one
// row per day x partner x widget, then that day's counts.
type RollupSet struct {
	byKey map[RollupKey]*Rollup
	out   []*Rollup
}

// AddDay adds the rollup of k, whose newest event was received at newest.
func (s *RollupSet) AddDay(k RollupKey, newest time.Time) {
	if s.byKey == nil {
		s.byKey = map[RollupKey]*Rollup{}
	}
	r := NewRollup(k)
	r.Newest = newest.UTC()
	s.byKey[k] = r
	s.out = append(s.out, r)
}

// AddCount adds one count to the rollup of k, which AddDay must have added.
func (s *RollupSet) AddCount(k RollupKey, c Count) error {
	r := s.byKey[k]
	if r == nil {
		return fmt.Errorf("rollup %v has counts but no day row", k)
	}
	return r.AddCount(c)
}

// Sorted returns the rollups sorted by day, partner and widget.
func (s *RollupSet) Sorted() []Rollup {
	slices.SortFunc(s.out, func(a, b *Rollup) int {
		return cmp.Or(a.Day.Compare(b.Day), strings.Compare(a.Partner, b.Partner), strings.Compare(a.Widget, b.Widget))
	})
	rollups := make([]Rollup, len(s.out))
	for i, r := range s.out {
		rollups[i] = *r
	}
	return rollups
}

// WriteProber is a Store that can show it still writes by writing
// something small that is no event, and syncing it as a commit would.
// Readiness asks it while the last write failed: a server its balancer
// no longer sends events to has no other write to learn from that its
// store recovered.
type WriteProber interface {
	ProbeWrite(ctx context.Context) error
}

// VisitorSalts keeps each day's visitor-hash salt in the database, where
// every server sharing it reads it and a restarted server finds it again,
// so that a visitor hashes the same on each server and across a restart,
// and counts once a day. Both engines implement it (store/postgres,
// store/sqlite); with a store that does not, each server keeps its salts
// in memory only.
type VisitorSalts interface {
	// DailySalt returns the salt of day (a UTC day at midnight): salt
	// itself if no server has stored one for day yet, else the one stored
	// first. It deletes salts more than 48 hours older than day.
	DailySalt(ctx context.Context, day time.Time, salt []byte) ([]byte, error)
}
