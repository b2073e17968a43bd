package server_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ehforge/forgefit/stats"
	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// distinctKeys is how many values of each kind the store holds in
// TestStatsStayCappedWhateverTheStoreHolds: many times any cap (kept
// small enough for the race detector's SQLite).
const distinctKeys = 400

// junkBatches are batches of made-up ids written straight into the store,
// as a server that did not check ids might have: each carries a value of
// its own of every kind the stats list.
func junkBatches(received time.Time) []store.Batch {
	var out []store.Batch
	for i := range distinctKeys {
		id := fmt.Sprintf("made-up-%d", i)
		b := visit("acme", received, "",
			ev(event.WidgetViewed, event.Data{}),
			ev(event.QuestionAnswered, event.Data{Question: id, Option: "x", Index: intp(i % 100)}),
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: id, Index: intp(0)}),
			ev(event.FAQOpened, event.Data{FAQ: id}),
			ev(event.CTAClicked, event.Data{CTA: id, Outcome: event.CoManaged}),
			ev(event.WorksheetCompleted, event.Data{Shared: []string{id}, Undecided: []string{id + "-u"}}))
		b.Page.Path = "/" + id
		b.UTM = event.UTM{Source: id, Medium: id, Campaign: id}
		b.Locale, b.ContentVersion = "x"+strconv.Itoa(i), id
		if i%10 == 0 {
			b.Widget = "made-up-widget-" + strconv.Itoa(i)
		}
		out = append(out, b)
	}
	return out
}

// Whatever the store holds, every list of the stats API, the CSV and the
// dashboard is capped, with an "other" row that sums what it leaves out;
// the real ids, counted most, are the ones listed.
func TestStatsStayCappedWhateverTheStoreHolds(t *testing.T) {
	e := newStatsEnv(t)
	received := time.Now().Add(-time.Hour)
	if store.Day(received) != store.Day(time.Now()) {
		received = time.Now()
	}
	real := make([]event.Event, 0, 20)
	for range 5 {
		real = append(real, ev(event.FAQOpened, event.Data{FAQ: "small-business"}),
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: "it-team", Index: intp(0)}))
	}
	e.write(t, visit("acme", received, "alice", real...))
	e.write(t, junkBatches(received)...)

	res, body := e.getStats(t, "/api/v1/stats?partner=acme", "admin-secret")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("stats: %d %s", res.StatusCode, body)
	}
	statsBytes := len(body)
	if len(body) > 64<<10 {
		t.Errorf("the stats are %d bytes, over 64 KiB", len(body))
	}
	var st stats.Stats
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	// capped checks a list: at most max rows and an "other" row last that
	// sums the rest, so that the rows add up to total.
	capped := func(name string, rows []stats.Ranked, total int64) {
		t.Helper()
		if len(rows) > 65 {
			t.Errorf("%s: %d rows", name, len(rows))
		}
		var sum int64
		for _, r := range rows {
			sum += r.Count
		}
		last := rows[len(rows)-1]
		if last.Other == 0 || last.Value != "" {
			t.Errorf("%s: the last row is %+v, not an \"other\" row", name, last)
		}
		if sum != total {
			t.Errorf("%s: the rows sum to %d, want %d", name, sum, total)
		}
	}
	views := st.Totals.Views
	capped("top_pages", st.TopPages, views)
	capped("utm_sources", st.UTMSources, views)
	capped("utm_mediums", st.UTMMediums, views)
	capped("utm_campaigns", st.UTMCampaigns, views)
	capped("locales", st.Locales, views)
	capped("content_versions", st.ContentVersions, views)
	capped("faqs", st.FAQs, st.Totals.FAQOpens)
	capped("worksheet.shared", st.Worksheet.Shared, distinctKeys)
	capped("worksheet.undecided", st.Worksheet.Undecided, distinctKeys)
	if st.FAQs[0] != (stats.Ranked{Value: "small-business", Count: 5}) {
		t.Errorf("the FAQ most opened is %+v, want small-business, 5", st.FAQs[0])
	}

	if n := len(st.Questions); n > 41 {
		t.Errorf("%d questions", n)
	}
	var answers int64
	for _, q := range st.Questions {
		answers += q.Answers
		if len(q.Options) > 21 {
			t.Errorf("question %q: %d options", q.Question, len(q.Options))
		}
	}
	if other := st.Questions[len(st.Questions)-1]; other.Other == 0 || other.Question != "" {
		t.Errorf("the funnel's last row is %+v, not an \"other\" row", other)
	}
	if answers != st.Totals.Answers {
		t.Errorf("the funnel sums %d answers, want %d", answers, st.Totals.Answers)
	}
	for _, q := range st.Questions {
		if q.Question == "internal-it" {
			if q.Options[0] != (stats.Ranked{Value: "it-team", Count: 5}) {
				t.Errorf("internal-it's first option is %+v, want it-team, 5", q.Options[0])
			}
			capped("internal-it's options", q.Options, q.Answers)
		}
	}
	var clicks int64
	for _, c := range st.CTAs {
		clicks += c.Clicks
	}
	if n := len(st.CTAs); n > 21 || st.CTAs[n-1].Other == 0 || clicks != st.Totals.CTAClicks {
		t.Errorf("%d CTA rows summing %d clicks of %d, the last %+v", n, clicks, st.Totals.CTAClicks, st.CTAs[n-1])
	}

	// The CSV: one row a widget of the day, capped too, adding up.
	res, body = e.getStats(t, "/api/v1/stats.csv?partner=acme", "admin-secret")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("CSV: %d %s", res.StatusCode, body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) > 1+20 || rows[len(rows)-1][2] != "(other)" {
		t.Errorf("the CSV has %d rows, the last for widget %q", len(rows), rows[len(rows)-1][2])
	}
	var csvViews int64
	for _, r := range rows[1:] {
		n, _ := strconv.ParseInt(r[4], 10, 64)
		csvViews += n
	}
	if csvViews != views {
		t.Errorf("the CSV's views sum to %d, want %d", csvViews, views)
	}

	// The dashboard: bounded, and saying what it left out.
	b := newDashboardBrowser(t, e)
	b.signIn("admin-secret")
	res, page := b.do("GET", "/dashboard?partner=acme", nil, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", res.StatusCode)
	}
	if len(page) > 256<<10 {
		t.Errorf("the dashboard is %d bytes, over 256 KiB", len(page))
	}
	if n := strings.Count(page, "<tr>"); n > 1000 {
		t.Errorf("the dashboard has %d table rows", n)
	}
	t.Logf("with %d distinct values of each kind stored: stats %d bytes, CSV %d rows, dashboard %d bytes and %d table rows",
		distinctKeys, statsBytes, len(rows), len(page), strings.Count(page, "<tr>"))
	n := func(listed int) string { return itoa(int64(distinctKeys + 1 - listed)) }
	for _, want := range []string{
		"Other: " + n(40) + " more questions",                             // the funnel: the made-up questions and internal-it, 40 listed
		"Other: " + n(40) + " more questions, with " + n(40) + " answers", // and below it, under the answers by question
		"Other: " + n(50) + " more FAQ entries",                           // the made-up entries and small-business, 50 listed
		"Other: " + n(20) + " more options",                               // internal-it's made-up options and it-team, 20 listed
		"Other: " + n(21) + " more pages",                                 // the made-up pages, 20 listed
		"Other: " + n(21) + " more sources",
		"Other: " + n(21) + " more calls to action and recommendations",
		"Other responsibilities, not listed",
	} {
		if !strings.Contains(readText(page), want) {
			t.Errorf("the dashboard does not say %q", want)
		}
	}
}
