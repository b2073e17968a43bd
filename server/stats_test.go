package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/stats"
	"github.com/ehforge/forgefit/store"
)

const (
	acmeToken  = "acme-token"
	otherToken = "other-token"
	widgetID   = "co-managed-vs-fully-managed"
)

func newStatsEnv(t *testing.T) *ingestEnv {
	return newIngestEnv(t, func(c *server.Config) {
		c.Partners, _ = server.NewPartners([]server.Partner{
			{ID: "acme", Name: "Acme", Origins: []string{partnerPage}, TokenSHA256: server.TokenHash(acmeToken)},
			{ID: "other", Name: "Other", Origins: []string{"https://other.example"}, TokenSHA256: server.TokenHash(otherToken)},
		})
	})
}

func intp(i int) *int           { return &i }
func floatp(f float64) *float64 { return &f }

// visit is one visitor's widget mount as the store receives it.
func visit(partner string, received time.Time, visitor string, events ...event.Event) store.Batch {
	for i := range events {
		events[i].ID = uuid.Must(uuid.NewV7()).String()
		events[i].At = received
	}
	origin := partnerPage
	if partner == "other" {
		origin = "https://other.example"
	}
	b := store.Batch{
		Batch: event.Batch{Partner: partner, Widget: widgetID, Locale: "en", ContentVersion: "v1",
			Page: event.Page{Origin: origin, Path: "/it"}, UTM: event.UTM{Source: "news"}, Events: events},
		ReceivedAt: received,
	}
	if visitor != "" {
		b.Visitor = []byte(visitor)
	}
	return b
}

func ev(t event.Type, d event.Data) event.Event { return event.Event{Type: t, Data: d} }

func (e *ingestEnv) write(t *testing.T, batches ...store.Batch) {
	t.Helper()
	if _, err := e.store.Write(context.Background(), batches); err != nil {
		t.Fatal(err)
	}
}

func (e *ingestEnv) getStats(t *testing.T, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.http.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestStatsFromKnownEvents(t *testing.T) {
	e := newStatsEnv(t)
	day1 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	lastSecond := day1.Add(24*time.Hour - time.Second) // 23:59:59 UTC: still day 1
	nextDay := day1.Add(24 * time.Hour)                // 00:00:00 UTC: day 2
	e.write(t,
		visit("acme", day1.Add(9*time.Hour), "alice",
			ev(event.WidgetLoaded, event.Data{}), ev(event.WidgetViewed, event.Data{}), ev(event.QuizStarted, event.Data{}),
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: "capable-team", Index: intp(0)}),
			ev(event.QuestionAnswered, event.Data{Question: "control", Option: "keep", Index: intp(1)}),
			ev(event.QuizCompleted, event.Data{Outcome: event.CoManaged, Margin: floatp(0.5)}),
			ev(event.CTAClicked, event.Data{CTA: "contact", Outcome: event.CoManaged}),
			ev(event.WorksheetCompleted, event.Data{Shared: []string{"patching"}, Undecided: []string{"backup-validation", "patching-x"}})),
		visit("acme", lastSecond, "bob",
			ev(event.WidgetLoaded, event.Data{}), ev(event.WidgetViewed, event.Data{}), ev(event.QuizStarted, event.Data{}),
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: "none", Index: intp(0)})),
		visit("acme", lastSecond, "alice", ev(event.FAQOpened, event.Data{FAQ: "m365"})),
		visit("acme", nextDay, "", ev(event.WidgetLoaded, event.Data{})),
		visit("other", day1.Add(10*time.Hour), "carol", ev(event.WidgetViewed, event.Data{})),
	)
	test := visit("acme", day1.Add(11*time.Hour), "dave", ev(event.WidgetViewed, event.Data{}))
	test.Test = true
	bot := visit("acme", day1.Add(11*time.Hour), "", ev(event.WidgetViewed, event.Data{}))
	bot.Bot = true
	e.write(t, test, bot)

	res, body := e.getStats(t, "/api/v1/stats?partner=acme&from=2026-11-20&to=2026-11-21", "admin-secret")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	var got stats.Stats
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	day1Figures := stats.Figures{
		Loads: 2, Views: 2, ViewRate: 1, Visitors: 2, QuizStarts: 2, Answers: 3, Completions: 1, CompletionRate: 0.5,
		CTAClicks: 1, ClickThrough: 0.5, FAQOpens: 1, WorksheetCompletions: 1, CoManaged: 1,
		TestEvents: 1, BotEvents: 1, // left out of every figure above
	}
	day2Figures := stats.Figures{Loads: 1}
	totals := day1Figures
	totals.Loads, totals.ViewRate = 3, 0.6667
	want := stats.Stats{
		From: "2026-11-20", To: "2026-11-21", TimeZone: "UTC", Partner: "acme",
		Totals: totals,
		Days:   []stats.DayStats{{Day: "2026-11-20", Figures: day1Figures}, {Day: "2026-11-21", Figures: day2Figures}},
		Questions: []stats.QuestionStats{
			{Question: "internal-it", Index: 0, Answers: 2, DropOff: 0, Options: []stats.Ranked{{Value: "capable-team", Count: 1}, {Value: "none", Count: 1}}},
			{Question: "control", Index: 1, Answers: 1, DropOff: 0.5, Options: []stats.Ranked{{Value: "keep", Count: 1}}},
		},
		Outcomes:        map[string]int64{"co-managed": 1},
		Recommendations: map[string]int64{},
		CTAs:            []stats.CTAStats{{CTA: "contact", Outcome: "co-managed", Clicks: 1}},
		FAQs:            []stats.Ranked{{Value: "m365", Count: 1}},
		Worksheet: stats.WorksheetStats{Completions: 1, Shared: []stats.Ranked{{Value: "patching", Count: 1}},
			Undecided: []stats.Ranked{{Value: "backup-validation", Count: 1}, {Value: "patching-x", Count: 1}}},
		TopPages:        []stats.Ranked{{Value: partnerPage + "/it", Count: 2}},
		UTMSources:      []stats.Ranked{{Value: "news", Count: 2}},
		UTMMediums:      []stats.Ranked{},
		UTMCampaigns:    []stats.Ranked{},
		Locales:         []stats.Ranked{{Value: "en", Count: 2}},
		ContentVersions: []stats.Ranked{{Value: "v1", Count: 2}},
	}
	if got.FreshAsOf == nil || !got.FreshAsOf.Equal(nextDay) {
		t.Errorf("fresh_as_of %v, want %v", got.FreshAsOf, nextDay)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(stats.Stats{}, "FreshAsOf"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}

	// An empty range: every day listed, all zero, nothing fresh.
	_, body = e.getStats(t, "/api/v1/stats?partner=acme&from=2026-10-01&to=2026-10-03", "admin-secret")
	var empty stats.Stats
	json.Unmarshal(body, &empty)
	if len(empty.Days) != 3 || empty.Totals != (stats.Figures{}) || empty.FreshAsOf != nil {
		t.Errorf("empty range: %d days, totals %+v, fresh %v", len(empty.Days), empty.Totals, empty.FreshAsOf)
	}
	// All partners (admin): the other partner's view counts too.
	_, body = e.getStats(t, "/api/v1/stats?from=2026-11-20&to=2026-11-20", "admin-secret")
	var all stats.Stats
	json.Unmarshal(body, &all)
	if all.Totals.Views != 3 {
		t.Errorf("all partners, one day: %d views, want 3", all.Totals.Views)
	}
}

// TestStatsCountEventsLeftOut checks the counts of test and bot events in
// the JSON (per day and in total) and the CSV (its last two columns), on
// closed days read through the cache: they change no other figure, and a
// day with only events left out counts nothing, not even as fresh.
func TestStatsCountEventsLeftOut(t *testing.T) {
	e := newStatsEnv(t)
	day1 := time.Date(2026, 10, 30, 9, 0, 0, 0, time.UTC)
	day2, day3 := day1.AddDate(0, 0, 1), day1.AddDate(0, 0, 2) // day3 is in the next month
	flagged := func(b store.Batch, test, bot bool) store.Batch {
		b.Test, b.Bot = test, bot
		return b
	}
	viewed := ev(event.WidgetViewed, event.Data{})
	e.write(t,
		visit("acme", day1, "alice", ev(event.WidgetLoaded, event.Data{}), viewed),
		flagged(visit("acme", day1.Add(time.Hour), "alice", viewed, viewed), true, false),
		flagged(visit("acme", day1.Add(2*time.Hour), "", viewed, viewed, viewed), false, true),
		flagged(visit("acme", day1.Add(3*time.Hour), "bob", viewed), true, true), // a test embed in a webdriver: test
		flagged(visit("acme", day2, "carol", viewed, viewed, viewed, viewed, viewed), false, true),
		flagged(visit("acme", day3, "", viewed), true, false),
		flagged(visit("other", day1, "", viewed, viewed), true, false),
	)
	_, body := e.getStats(t, "/api/v1/stats?partner=acme&from=2026-10-30&to=2026-11-01", "admin-secret")
	var got stats.Stats
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	day1Figures := stats.Figures{Loads: 1, Views: 1, ViewRate: 1, Visitors: 1, TestEvents: 3, BotEvents: 3}
	totals := day1Figures
	totals.TestEvents, totals.BotEvents = 3+1, 3+5
	wantDays := []stats.DayStats{
		{Day: "2026-10-30", Figures: day1Figures},
		{Day: "2026-10-31", Figures: stats.Figures{BotEvents: 5}},
		{Day: "2026-11-01", Figures: stats.Figures{TestEvents: 1}},
	}
	if diff := cmp.Diff(wantDays, got.Days); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(totals, got.Totals); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if got.FreshAsOf == nil || !got.FreshAsOf.Equal(day1) {
		t.Errorf("fresh_as_of %v, want %v: the newest event counted, not the newest left out", got.FreshAsOf, day1)
	}
	if !strings.Contains(string(body), `"excluded_test_events":4,"excluded_bot_events":8`) {
		t.Errorf("the JSON totals do not name the counts excluded_test_events and excluded_bot_events: %s", body)
	}
	// Days with only events left out: nothing counted, nothing fresh.
	_, body = e.getStats(t, "/api/v1/stats?partner=acme&from=2026-10-31&to=2026-11-01", "admin-secret")
	var leftOut stats.Stats
	json.Unmarshal(body, &leftOut)
	if want := (stats.Figures{TestEvents: 1, BotEvents: 5}); leftOut.Totals != want || leftOut.FreshAsOf != nil {
		t.Errorf("days with only events left out: totals %+v, fresh %v; want %+v and none fresh", leftOut.Totals, leftOut.FreshAsOf, want)
	}

	res, body := e.getStats(t, "/api/v1/stats.csv?partner=acme&from=2026-10-30&to=2026-11-01", "admin-secret")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"day", "partner", "widget", "widget_loads", "views", "visitors", "quiz_starts", "answers",
			"completions", "quiz_restarts", "recommendations", "cta_clicks", "faq_opens", "worksheet_completions",
			"outcome_co_managed", "outcome_fully_managed", "outcome_either", "excluded_test_events", "excluded_bot_events"},
		{"2026-10-30", "acme", widgetID, "1", "1", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "3", "3"},
		{"2026-10-31", "acme", widgetID, "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "5"},
		{"2026-11-01", "acme", widgetID, "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1", "0"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

func TestStatsAccess(t *testing.T) {
	e := newStatsEnv(t)
	for _, tc := range []struct {
		name, query, token string
		status             int
		partner            string // the partner the answer is about
	}{
		{"no token", "", "", 401, ""},
		{"wrong token", "", "nope", 401, ""},
		{"partner, own", "?partner=acme", acmeToken, 200, "acme"},
		{"partner, default is own", "", acmeToken, 200, "acme"},
		{"partner, another's", "?partner=other", acmeToken, 403, ""},
		{"admin, all", "", "admin-secret", 200, ""},
		{"admin, one", "?partner=other", "admin-secret", 200, "other"},
		{"admin, unknown partner", "?partner=ghost", "admin-secret", 404, ""},
		{"bad day", "?from=2026-13-01", "admin-secret", 400, ""},
		{"from after to", "?from=2026-11-02&to=2026-11-01", "admin-secret", 400, ""},
		{"range too long", "?from=2020-01-01&to=2026-01-01", "admin-secret", 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/v1/stats", "/api/v1/stats.csv"} {
				res, body := e.getStats(t, path+tc.query, tc.token)
				if res.StatusCode != tc.status {
					t.Fatalf("%s: %d, want %d: %s", path, res.StatusCode, tc.status, body)
				}
				if tc.status == 200 && path == "/api/v1/stats" {
					var st stats.Stats
					json.Unmarshal(body, &st)
					if st.Partner != tc.partner {
						t.Errorf("answer about partner %q, want %q", st.Partner, tc.partner)
					}
				}
				if tc.token != "" && strings.Contains(string(body), tc.token) {
					t.Error("the answer echoes the token")
				}
			}
		})
	}
}

func TestStatsCSVAgreesWithJSON(t *testing.T) {
	e := newStatsEnv(t)
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for d := range 5 {
		var batches []store.Batch
		for v := range d + 1 {
			batches = append(batches, visit("acme", start.AddDate(0, 0, d), fmt.Sprint("v", v),
				ev(event.WidgetLoaded, event.Data{}), ev(event.WidgetViewed, event.Data{}),
				ev(event.QuizCompleted, event.Data{Outcome: event.FullyManaged, Margin: floatp(0.4)})))
		}
		batches = append(batches, visit("other", start.AddDate(0, 0, d), "x", ev(event.WidgetViewed, event.Data{})))
		e.write(t, batches...)
	}
	q := "?from=2026-11-01&to=2026-11-07"
	res, body := e.getStats(t, "/api/v1/stats.csv"+q, "admin-secret")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+10 || rows[0][0] != "day" {
		t.Fatalf("%d rows (header %v), want a header and 10 (5 days x 2 partners)", len(rows), rows[0])
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	csvViews := map[string]int64{}
	for _, r := range rows[1:] {
		n, _ := strconv.ParseInt(r[col["views"]], 10, 64)
		csvViews[r[col["day"]]] += n
	}
	_, body = e.getStats(t, "/api/v1/stats"+q, "admin-secret")
	var st stats.Stats
	json.Unmarshal(body, &st)
	jsonViews := map[string]int64{}
	for _, d := range st.Days {
		if d.Views > 0 {
			jsonViews[d.Day] = d.Views
		}
	}
	if diff := cmp.Diff(jsonViews, csvViews); diff != "" {
		t.Errorf("views per day, JSON (-) vs CSV (+):\n%s", diff)
	}
	var fully int64
	for _, r := range rows[1:] {
		n, _ := strconv.ParseInt(r[col["outcome_fully_managed"]], 10, 64)
		fully += n
	}
	if fully != st.Totals.FullyManaged || fully != 15 {
		t.Errorf("fully managed: CSV %d, JSON %d, want 15", fully, st.Totals.FullyManaged)
	}
}

// TestStatsCachedMonthsAgreeWithDailyRollups checks that folding cached
// closed months gives exactly what folding every daily rollup gives, on
// the first (cold) read and the next (cached) one.
func TestStatsCachedMonthsAgreeWithDailyRollups(t *testing.T) {
	e := newStatsEnv(t)
	start := time.Now().UTC().AddDate(0, -4, 0)
	var batches []store.Batch
	for d := 0; d < 120; d += 3 {
		at := start.AddDate(0, 0, d)
		batches = append(batches, visit("acme", at, fmt.Sprint("v", d%7),
			ev(event.WidgetLoaded, event.Data{}), ev(event.WidgetViewed, event.Data{}), ev(event.QuizStarted, event.Data{}),
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: fmt.Sprint("o", d%3), Index: intp(0)}),
			ev(event.QuizCompleted, event.Data{Outcome: event.FullyManaged, Margin: floatp(0.3)})))
	}
	e.write(t, batches...)
	from, to := start.AddDate(0, 0, 5), time.Now().UTC()
	q := fmt.Sprintf("?partner=acme&from=%s&to=%s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	rollups, err := e.store.Rollups(context.Background(), store.RollupQuery{Partner: "acme", From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	want := stats.Compute(rollups, from, to, "acme", "")
	wantJSON, _ := json.Marshal(want)
	for _, read := range []string{"cold", "cached"} {
		_, body := e.getStats(t, "/api/v1/stats"+q, "admin-secret")
		var got, w stats.Stats
		json.Unmarshal(body, &got)
		json.Unmarshal(wantJSON, &w)
		if diff := cmp.Diff(w, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s read (-daily fold +served):\n%s", read, diff)
		}
		if got.Totals.Completions != 38 { // 40 visits, the first two before the range
			t.Errorf("%s read: %d completions, want 38", read, got.Totals.Completions)
		}
	}
}

func TestRetentionDeletesOldRawEventsAndKeepsRollups(t *testing.T) {
	e := newStatsEnv(t)
	old := store.Day(time.Now()).AddDate(0, 0, -500).Add(time.Hour) // all 1500 on one UTC day
	var batches []store.Batch
	for i := range 1500 { // more than one delete batch
		batches = append(batches, visit("acme", old.Add(time.Duration(i)*time.Second), "", ev(event.WidgetViewed, event.Data{})))
	}
	batches = append(batches, visit("acme", time.Now().UTC(), "", ev(event.WidgetViewed, event.Data{})))
	e.write(t, batches...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.srv.RunRetention(ctx, 400*24*time.Hour, time.Hour); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.stored(t)) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d raw events left, want 1 (the recent one)", len(e.stored(t)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	day := old.Format(time.DateOnly)
	_, body := e.getStats(t, "/api/v1/stats?partner=acme&from="+day+"&to="+day, "admin-secret")
	var st stats.Stats
	json.Unmarshal(body, &st)
	if st.Totals.Views != 1500 {
		t.Errorf("the deleted day's rollup shows %d views, want 1500 (rollups are kept)", st.Totals.Views)
	}
}
