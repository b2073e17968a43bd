package server_test

import (
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/store"
)

// browser is an HTTP client that keeps cookies and sends the Origin a
// browser would on a form post from the dashboard.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newDashboardBrowser(t *testing.T, e *ingestEnv) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: e.http.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, path string, form url.Values, origin string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	s, _ := io.ReadAll(res.Body)
	return res, string(s)
}

// signIn signs b in with an access token and fails the test otherwise.
func (b *browser) signIn(token string) {
	b.t.Helper()
	if res, _ := b.do("POST", "/dashboard/login", url.Values{"token": {token}}, testOrigin); res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign-in: %d", res.StatusCode)
	}
}

// dashTable is a table of the dashboard as a screen reader gives it: its
// caption and the text of its body's cells, row by row, with the lengths
// of the bars drawn in each row.
type dashTable struct {
	caption string
	rows    [][]string
	bars    [][]string
}

var (
	tableRE    = regexp.MustCompile(`(?s)<table[^>]*>(.*?)</table>`)
	captionRE  = regexp.MustCompile(`(?s)<caption[^>]*>(.*?)</caption>`)
	tbodyRE    = regexp.MustCompile(`(?s)<tbody>(.*?)</tbody>`)
	rowRE      = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
	cellRE     = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	barRE      = regexp.MustCompile(`<rect width="?([0-9.]+)"?`)
	hiddenRE   = regexp.MustCompile(`(?s)<span aria-hidden="?true"?>.*?</span>|<svg.*?</svg>`)
	tagRE      = regexp.MustCompile(`<[^>]*>`)
	spacesRE   = regexp.MustCompile(`\s+`)
	sectionsRE = regexp.MustCompile(`(?s)<section aria-labelledby="?([a-z-]+)"?[^>]*>(.*?)</section>`)
)

// readText is the text of an HTML fragment without what is hidden from
// screen readers.
func readText(fragment string) string {
	s := tagRE.ReplaceAllString(hiddenRE.ReplaceAllString(fragment, ""), "")
	return strings.TrimSpace(spacesRE.ReplaceAllString(html.UnescapeString(s), " "))
}

// tables returns the page's tables by caption.
func tables(page string) map[string]dashTable {
	out := map[string]dashTable{}
	for _, m := range tableRE.FindAllStringSubmatch(page, -1) {
		var t dashTable
		if c := captionRE.FindStringSubmatch(m[1]); c != nil {
			t.caption = readText(c[1])
		}
		body := tbodyRE.FindStringSubmatch(m[1])
		if body == nil {
			continue
		}
		for _, r := range rowRE.FindAllStringSubmatch(body[1], -1) {
			var cells, bars []string
			for _, c := range cellRE.FindAllStringSubmatch(r[1], -1) {
				cells = append(cells, readText(c[1]))
			}
			for _, b := range barRE.FindAllStringSubmatch(r[1], -1) {
				bars = append(bars, b[1])
			}
			t.rows = append(t.rows, cells)
			t.bars = append(t.bars, bars)
		}
		out[t.caption] = t
	}
	return out
}

// section returns the text of the page's section headed by the heading
// with id.
func section(page, id string) string {
	for _, m := range sectionsRE.FindAllStringSubmatch(page, -1) {
		if m[1] == id {
			return readText(m[2])
		}
	}
	return ""
}

// headline returns the headline's figures by name: the value, then the
// change, then the rate when there is one.
func headline(page string) map[string][]string {
	out := map[string][]string{}
	for _, m := range regexp.MustCompile(`<div><dt>([^<]+)</dt>((?:<dd[^>]*>[^<]*</dd>)+)</div>`).FindAllStringSubmatch(page, -1) {
		for _, dd := range regexp.MustCompile(`<dd[^>]*>([^<]*)</dd>`).FindAllStringSubmatch(m[2], -1) {
			out[m[1]] = append(out[m[1]], html.UnescapeString(dd[1]))
		}
	}
	return out
}

func TestDashboardSignInShowsFiguresAndSignsOut(t *testing.T) {
	e := newStatsEnv(t)
	today := time.Now().UTC()
	e.write(t,
		visit("acme", today, "alice", ev(event.WidgetLoaded, event.Data{}), ev(event.WidgetViewed, event.Data{}),
			ev(event.QuizCompleted, event.Data{Outcome: event.Either, Margin: floatp(0.1)})),
		visit("other", today, "bob", ev(event.WidgetViewed, event.Data{}), ev(event.WidgetViewed, event.Data{}), ev(event.WidgetViewed, event.Data{})),
	)
	b := newDashboardBrowser(t, e)
	res, page := b.do("GET", "/dashboard", nil, "")
	if res.StatusCode != 200 || !strings.Contains(page, `action="/dashboard/login"`) {
		t.Fatalf("signed out: %d, no sign-in form", res.StatusCode)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
		t.Errorf("dashboard CSP %q", csp)
	}
	// The sign-in page speaks to a marketer: the link they were sent, no
	// command line.
	signIn := readText(page)
	for _, cli := range []string{"forgefit token", "CLI", "command", "SHA-256"} {
		if strings.Contains(signIn, cli) {
			t.Errorf("the sign-in page mentions %q: %s", cli, signIn)
		}
	}
	if !strings.Contains(signIn, "sign-in link") {
		t.Errorf("the sign-in page does not tell partners about their sign-in link: %s", signIn)
	}
	// A sign-in posted from another site is refused.
	if res, _ := b.do("POST", "/dashboard/login", url.Values{"token": {acmeToken}}, "https://evil.example"); res.StatusCode != 403 {
		t.Errorf("cross-site sign-in: %d, want 403", res.StatusCode)
	}
	if res, page := b.do("POST", "/dashboard/login", url.Values{"token": {"wrong"}}, testOrigin); res.StatusCode != 401 || !strings.Contains(page, "not valid") {
		t.Errorf("wrong token: %d", res.StatusCode)
	}
	res, _ = b.do("POST", "/dashboard/login", url.Values{"token": {acmeToken}}, testOrigin)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	cookie := res.Header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/dashboard", "Max-Age=43200"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, acmeToken) {
		t.Error("the session cookie holds the token")
	}
	_, page = b.do("GET", "/dashboard", nil, "")
	if !strings.Contains(page, "Signed in: Acme") || !strings.Contains(page, "UTC") {
		t.Fatalf("signed-in page does not show the partner and the UTC note:\n%s", page)
	}
	if got := headline(page)["Views"]; len(got) == 0 || got[0] != "1" {
		t.Errorf("views headline %v, want acme's 1 (not the other partner's 3)", got)
	}
	if !strings.Contains(page, "Either model") || !strings.Contains(page, `class="chart"`) || !strings.Contains(page, "stats.csv") {
		t.Error("the dashboard lacks the outcome split, the chart or the CSV link")
	}
	if strings.Contains(page, `action="/dashboard/share"`) {
		t.Error("a partner is offered to create sign-in links")
	}
	if res, _ := b.do("GET", "/dashboard?partner=other", nil, ""); res.StatusCode != 403 {
		t.Errorf("partner session asking for another partner: %d, want 403", res.StatusCode)
	}
	res, csvBody := b.do("GET", "/dashboard/stats.csv", nil, "")
	if res.StatusCode != 200 || !strings.HasPrefix(csvBody, "day,partner,widget") || strings.Contains(csvBody, ",other,") {
		t.Errorf("dashboard CSV: %d %q", res.StatusCode, csvBody)
	}
	// Sign out needs the CSRF token of the session.
	if res, _ := b.do("POST", "/dashboard/logout", url.Values{"csrf": {"forged"}}, testOrigin); res.StatusCode != 403 {
		t.Errorf("sign-out with a forged CSRF token: %d, want 403", res.StatusCode)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatal("no CSRF token in the sign-out form")
	}
	if res, _ := b.do("POST", "/dashboard/logout", url.Values{"csrf": {csrf[1]}}, testOrigin); res.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: %d", res.StatusCode)
	}
	if _, page := b.do("GET", "/dashboard", nil, ""); !strings.Contains(page, `action="/dashboard/login"`) {
		t.Error("still signed in after signing out")
	}
}

func TestDashboardAdminSeesEveryPartner(t *testing.T) {
	e := newStatsEnv(t)
	e.write(t, visit("other", time.Now().UTC(), "bob", ev(event.WidgetViewed, event.Data{})))
	b := newDashboardBrowser(t, e)
	b.signIn("admin-secret")
	_, page := b.do("GET", "/dashboard?partner=other", nil, "")
	if got := headline(page)["Views"]; len(got) == 0 || got[0] != "1" || !strings.Contains(page, `<option value="acme">Acme</option>`) {
		t.Errorf("admin dashboard for partner other: views %v\n%s", got, page)
	}
	if !strings.Contains(page, "<h1>Engagement: Other</h1>") || !strings.Contains(page, `action="/dashboard/share"`) {
		t.Errorf("the admin's page lacks the partner's name or the form that shares its figures")
	}
}

// TestDashboardSpeaksInTheContentsWords checks every id the stats count by
// is shown in the content's words, retired ids as themselves, marked, and
// escaped; and the answer split, FAQ opens and CTA clicks by outcome.
func TestDashboardSpeaksInTheContentsWords(t *testing.T) {
	e := newStatsEnv(t)
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	answer := func(q, o string, i int) event.Event {
		return ev(event.QuestionAnswered, event.Data{Question: q, Option: o, Index: intp(i)})
	}
	e.write(t,
		visit("acme", day, "alice", ev(event.WidgetViewed, event.Data{}), ev(event.QuizStarted, event.Data{}),
			answer("internal-it", "it-team", 0), answer("bandwidth", "yes", 1), answer("old-question", "old-option", 7),
			ev(event.QuizCompleted, event.Data{Outcome: event.Either, Margin: floatp(0.1)}),
			ev(event.RecommendationShown, event.Data{Outcome: event.Either, Margin: floatp(0.1)}),
			ev(event.CTAClicked, event.Data{CTA: "contact", Outcome: event.Either}),
			ev(event.FAQOpened, event.Data{FAQ: "m365-and-security"}), ev(event.FAQOpened, event.Data{FAQ: "old-faq"}),
			ev(event.WorksheetCompleted, event.Data{Shared: []string{"m365-admin", "old-duty"}, Undecided: []string{"patching"}})),
		visit("acme", day, "bob", ev(event.WidgetViewed, event.Data{}), ev(event.QuizStarted, event.Data{}),
			answer("internal-it", "nobody", 0), answer("internal-it", "<script>alert(1)</script>", 0),
			ev(event.CTAClicked, event.Data{CTA: "old-cta"})),
	)
	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	res, page := b.do("GET", "/dashboard?from=2026-11-14&to=2026-11-20", nil, "")
	if res.StatusCode != 200 {
		t.Fatalf("dashboard: %d", res.StatusCode)
	}
	for _, id := range []string{">internal-it<", "Q1 ", ">m365-admin<", ">m365-and-security<", ">contact<", ">either<", "<script>alert"} {
		if strings.Contains(page, id) {
			t.Errorf("the page shows %q", id)
		}
	}
	got := tables(page)
	want := map[string][][]string{
		"Answers to each question; drop-off is the share of the step before (quiz starts, for the first question) that did not answer.": {
			{"1. Who looks after IT in your business today?", "3", "0%"},
			{"2. Can your internal people consistently own support, administration, security and recovery planning?", "1", "66.7%"},
			{"8. old-question (retired)", "1", "0%"},
		},
		"1. Who looks after IT in your business today? 3 answers": {
			{"An internal IT team or IT lead who knows our environment well", "1", "33.3%"},
			{"One or two people, alongside their other work", "0", "0%"},
			{"Nobody in particular, or an outside helper when something breaks", "1", "33.3%"},
			{"<script>alert(1)</script> (retired)", "1", "33.3%"},
		},
		"3. How much control over IT decisions and changes do you want to keep in-house? 0 answers": {
			{"We want to keep approvals and key decisions with our own team", "0", "0%"},
			{"We set policy and scope; the provider can operate within it", "0", "0%"},
			{"We would rather hand day-to-day IT decisions over", "0", "0%"},
		},
		"8. old-question (retired) 1 answer": {
			{"old-option (retired)", "1", "100%"},
		},
		"Completed quizzes by the recommendation they ended with": {
			{"Co-managed IT", "0", "0%"}, {"Fully managed IT", "0", "0%"}, {"Either model", "1", "100%"},
		},
		// Each row names the call to action's words with that result.
		"Talk to an expert about your IT model: 1 click": {
			{"Co-managed IT", "Talk to an expert about co-managed IT", "0", "0%"},
			{"Fully managed IT", "Talk to an expert about fully managed IT", "0", "0%"},
			{"Either model", "Talk to an expert about which model fits", "1", "100%"},
		},
		"old-cta (retired): 1 click": {
			{"Co-managed IT", "", "0", "0%"}, {"Fully managed IT", "", "0", "0%"}, {"Either model", "", "0", "0%"},
			{"No recommendation on screen", "", "1", "not available"},
		},
		"Times each question of the FAQ was opened, and its share of all FAQ opens": {
			{"Can co-managed IT include Microsoft 365 administration and security?", "1", "50%"},
			{"Is fully managed IT always better for small businesses?", "0", "0%"},
			{"old-faq (retired)", "1", "50%"},
		},
		"Responsibilities that completed worksheets left shared or undecided": {
			{"Microsoft 365 administration", "1", "0"}, {"old-duty (retired)", "1", "0"}, {"Patching", "0", "1"},
		},
	}
	for caption, rows := range want {
		tbl, ok := got[caption]
		if !ok {
			t.Errorf("no table captioned %q; tables: %q", caption, keys(got))
			continue
		}
		if diff := cmp.Diff(rows, tbl.rows); diff != "" {
			t.Errorf("table %q (-want +got):\n%s", caption, diff)
		}
	}
	// A bar per option, as long as its share.
	if bars := got["1. Who looks after IT in your business today? 3 answers"].bars; len(bars) != 4 || bars[0][0] != "33.3" || bars[1][0] != "0" {
		t.Errorf("answer bars %v, want 33.3 for the first option and 0 for the second", bars)
	}
}

func keys(m map[string]dashTable) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestDashboardChartAndChanges checks the daily chart's days, values and
// bars, the changes against the previous period and the percentages of
// zero.
func TestDashboardChartAndChanges(t *testing.T) {
	e := newStatsEnv(t)
	at := func(day int) time.Time { return time.Date(2026, 11, day, 12, 0, 0, 0, time.UTC) }
	views := func(n int) []event.Event {
		var evs []event.Event
		for range n {
			evs = append(evs, ev(event.WidgetViewed, event.Data{}))
		}
		return evs
	}
	completed := ev(event.QuizCompleted, event.Data{Outcome: event.CoManaged, Margin: floatp(0.4)})
	started := ev(event.QuizStarted, event.Data{})
	faq := ev(event.FAQOpened, event.Data{FAQ: "small-business"})
	e.write(t,
		// The previous 7 days: 2 views, 4 FAQ opens, nothing else.
		visit("acme", at(10), "a", append(views(2), faq, faq, faq, faq)...),
		// This week: 4 views and a completion on Monday 16th, 2 views and 2
		// completions on Friday 20th; 4 starts, each answering question 1.
		visit("acme", at(16), "b", append(views(4), completed, started, started, faq)...),
		visit("acme", at(20), "c", append(views(2), completed, completed, started, started,
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: "it-team", Index: intp(0)}),
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: "it-team", Index: intp(0)}),
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: "one-person", Index: intp(0)}),
			ev(event.QuestionAnswered, event.Data{Question: "internal-it", Option: "nobody", Index: intp(0)}))...),
	)
	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	_, page := b.do("GET", "/dashboard?from=2026-11-14&to=2026-11-20", nil, "")

	caption := "Views and quiz completions per day, 14 – 20 Nov 2026 (UTC). Bars are drawn against the highest day: 4."
	chart, ok := tables(page)[caption]
	if !ok {
		t.Fatalf("no chart captioned %q; tables: %q", caption, keys(tables(page)))
	}
	wantRows := [][]string{
		{"Sat 14 Nov", "0", "0"}, {"Sun 15 Nov", "0", "0"}, {"Mon 16 Nov", "4", "1"}, {"Tue 17 Nov", "0", "0"},
		{"Wed 18 Nov", "0", "0"}, {"Thu 19 Nov", "0", "0"}, {"Fri 20 Nov", "2", "2"},
	}
	if diff := cmp.Diff(wantRows, chart.rows); diff != "" {
		t.Errorf("chart rows (-want +got):\n%s", diff)
	}
	wantBars := [][]string{{"0", "0"}, {"0", "0"}, {"100", "25"}, {"0", "0"}, {"0", "0"}, {"0", "0"}, {"50", "50"}}
	if diff := cmp.Diff(wantBars, chart.bars); diff != "" {
		t.Errorf("chart bar lengths (-want +got):\n%s", diff)
	}
	if !strings.Contains(page, `<th scope="col">Day (UTC)</th><th scope="col">Views</th><th scope="col">Completions</th>`) ||
		!strings.Contains(page, `<time datetime="2026-11-16">Mon 16 Nov</time>`) {
		t.Error("the chart's axes are not labelled, or its days carry no machine-readable date")
	}

	wantHeadline := map[string][]string{
		"Views":       {"6", "+200% vs previous 7 days", "no loads counted"},
		"Visitors":    {"2", "+100% vs previous 7 days", "unique each day, summed"},
		"Quiz starts": {"4", "up from 0 in the previous 7 days", "66.7% of 6 views"},
		"Completions": {"3", "up from 0 in the previous 7 days", "75% of 4 quiz starts"},
		"CTA clicks":  {"0", "no change vs previous 7 days", "0% of 6 views"},
		"FAQ opens":   {"1", "−75% vs previous 7 days"},
		"Worksheets":  {"0", "no change vs previous 7 days", "completed"},
	}
	if diff := cmp.Diff(wantHeadline, headline(page)); diff != "" {
		t.Errorf("headline (-want +got):\n%s", diff)
	}
	// Nobody lost between the starts and question 1: 0%, not a dash.
	funnel := tables(page)["Answers to each question; drop-off is the share of the step before (quiz starts, for the first question) that did not answer."]
	if diff := cmp.Diff([][]string{{"1. Who looks after IT in your business today?", "4", "0%"}}, funnel.rows); diff != "" {
		t.Errorf("funnel (-want +got):\n%s", diff)
	}

	if got := section(page, "funnel-h"); !strings.Contains(got, "4 quiz starts, 3 completions (75% of starts).") {
		t.Errorf("funnel summary %q", got)
	}
	// The week before had data, the one before that none.
	_, page = b.do("GET", "/dashboard?from=2026-11-07&to=2026-11-13", nil, "")
	if got := headline(page)["Views"]; len(got) < 2 || got[1] != "no data in the previous 7 days" {
		t.Errorf("views against an empty previous period: %v, want it to say the previous period had no data", got)
	}
	// A range of one day compares with the day before; a long range is
	// drawn by week.
	_, page = b.do("GET", "/dashboard?from=2026-11-16&to=2026-11-16", nil, "")
	if got := headline(page)["Views"]; len(got) < 2 || got[1] != "no data in the previous day" {
		t.Errorf("one day's views: %v", got)
	}
	_, page = b.do("GET", "/dashboard?from=2026-01-01&to=2026-12-31", nil, "")
	weekly, ok := tables(page)["Views and quiz completions per week, 1 Jan – 31 Dec 2026 (UTC). Bars are drawn against the highest week: 4."]
	if !ok || len(weekly.rows) != 53 || weekly.rows[45][0] != "12 – 18 Nov 2026" || weekly.rows[45][1] != "4" {
		t.Errorf("a year is not drawn as 53 weeks with 12–18 Nov holding 4 views: %d rows, %v", len(weekly.rows), weekly.rows)
	}
}

// TestDashboardCountsBotAndTestTrafficLeftOut: bot and test events are not
// counted in any figure, and the dashboard says how many of each the
// period had, for the partner and range shown only. A previous period
// with only such events had no data.
func TestDashboardCountsBotAndTestTrafficLeftOut(t *testing.T) {
	e := newStatsEnv(t)
	at := func(day int) time.Time { return time.Date(2026, 11, day, 12, 0, 0, 0, time.UTC) }
	views := func(n int) []event.Event {
		var evs []event.Event
		for range n {
			evs = append(evs, ev(event.WidgetViewed, event.Data{}))
		}
		return evs
	}
	flagged := func(b store.Batch, test, bot bool) store.Batch {
		b.Test, b.Bot = test, bot
		return b
	}
	e.write(t,
		// 14–20 Nov: 1 counted view; 12 test events (one of them from a
		// test embed in a webdriver) and 3 bot events.
		visit("acme", at(16), "v", views(1)...),
		flagged(visit("acme", at(16), "t", views(7)...), true, false),
		flagged(visit("acme", at(18), "", views(4)...), true, false),
		flagged(visit("acme", at(18), "", views(1)...), true, true),
		flagged(visit("acme", at(20), "", views(3)...), false, true),
		// Not acme's, or not in the range.
		flagged(visit("other", at(16), "", views(5)...), true, false),
		flagged(visit("acme", at(13), "", views(6)...), false, true),
		flagged(visit("acme", at(21), "", views(2)...), true, false),
	)
	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	for _, tc := range []struct {
		query, views, change, excluded string
	}{
		{"?from=2026-11-14&to=2026-11-20", "1", "no data in the previous 7 days",
			"12 test events and 3 bot events were left out of these figures."},
		{"?from=2026-11-18&to=2026-11-18", "0", "no change vs previous day",
			"5 test events and 0 bot events were left out of these figures."},
		{"?from=2026-11-20&to=2026-11-20", "0", "no change vs previous day",
			"0 test events and 3 bot events were left out of these figures."},
		{"?from=2026-11-21&to=2026-11-21", "0", "no change vs previous day",
			"2 test events and 0 bot events were left out of these figures."},
		{"?from=2026-11-13&to=2026-11-13", "0", "no change vs previous day",
			"0 test events and 6 bot events were left out of these figures."},
	} {
		_, page := b.do("GET", "/dashboard"+tc.query, nil, "")
		if got := headline(page)["Views"]; len(got) < 2 || got[0] != tc.views || got[1] != tc.change {
			t.Errorf("%s: views %v, want %s, %q (bot and test left out)", tc.query, got, tc.views, tc.change)
		}
		excluded := section(page, "excluded-h")
		if !strings.Contains(excluded, "left out of every figure") || !strings.Contains(excluded, "data-forgefit-test") {
			t.Errorf("%s: the page does not say bot and test traffic is left out: %q", tc.query, excluded)
		}
		if !strings.HasSuffix(excluded, tc.excluded) {
			t.Errorf("%s: bot and test traffic section %q, want it to end %q", tc.query, excluded, tc.excluded)
		}
	}
	// Singular when one, and no data when a day had only events left out.
	e.write(t, flagged(visit("acme", at(24), "", views(1)...), false, true))
	_, page := b.do("GET", "/dashboard?from=2026-11-24&to=2026-11-24", nil, "")
	if got := section(page, "excluded-h"); !strings.HasSuffix(got, "0 test events and 1 bot event were left out of these figures.") {
		t.Errorf("one bot event: %q", got)
	}
	if !strings.Contains(page, "No events counted in this range.") {
		t.Error("a day with only a bot event does not say no events were counted")
	}
}

// TestDashboardSignInLink follows a partner's sign-in link: valid, for a
// partner who no longer exists, tampered with, expired, and used for
// another partner's figures.
func TestDashboardSignInLink(t *testing.T) {
	e := newStatsEnv(t)
	clock := server.SetTestClock(e.srv)
	e.write(t,
		visit("acme", time.Now().UTC(), "alice", ev(event.WidgetViewed, event.Data{})),
		visit("other", time.Now().UTC(), "bob", ev(event.WidgetViewed, event.Data{}), ev(event.WidgetViewed, event.Data{})),
	)
	expires := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	link := server.ShareLink(e.srv, "acme", expires)

	b := newDashboardBrowser(t, e)
	res, page := b.do("GET", "/dashboard?link="+url.QueryEscape(link), nil, "")
	if res.StatusCode != 200 || !strings.Contains(page, "See Acme’s engagement figures") {
		t.Fatalf("opening a valid link: %d\n%s", res.StatusCode, page)
	}
	if res.Header.Get("Set-Cookie") != "" {
		t.Error("opening the link signed in at once: a mail scanner following it would too")
	}
	if res.Header.Get("Referrer-Policy") != "same-origin" {
		t.Errorf("the page holding the link sends referrers: %q", res.Header.Get("Referrer-Policy"))
	}
	form := regexp.MustCompile(`name="link" value="([^"]+)"`).FindStringSubmatch(page)
	if form == nil || html.UnescapeString(form[1]) != link {
		t.Fatalf("the invitation's form does not carry the link: %v", form)
	}
	if res, _ := b.do("POST", "/dashboard/login", url.Values{"link": {link}}, "https://evil.example"); res.StatusCode != 403 {
		t.Errorf("sign-in with a link posted from another site: %d, want 403", res.StatusCode)
	}
	res, _ = b.do("POST", "/dashboard/login", url.Values{"link": {link}}, testOrigin)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with the link: %d", res.StatusCode)
	}
	// The session ends with the link: two hours, not the usual twelve.
	seconds := -1
	if m := regexp.MustCompile(`Max-Age=(\d+)`).FindStringSubmatch(res.Header.Get("Set-Cookie")); m != nil {
		seconds, _ = strconv.Atoi(m[1])
	}
	if seconds > 7200 || seconds < 7000 {
		t.Errorf("a link's session cookie: %q, want it to last until the link expires (2 h)", res.Header.Get("Set-Cookie"))
	}
	_, page = b.do("GET", "/dashboard", nil, "")
	if got := headline(page)["Views"]; !strings.Contains(page, "Signed in: Acme") || len(got) == 0 || got[0] != "1" {
		t.Errorf("signed in by link: views %v, want acme's 1", got)
	}
	// Scoped to one partner.
	if res, _ := b.do("GET", "/dashboard?partner=other", nil, ""); res.StatusCode != 403 {
		t.Errorf("a link's session asking for another partner: %d, want 403", res.StatusCode)
	}
	if res, _ := b.do("GET", "/dashboard/stats.csv?partner=other", nil, ""); res.StatusCode != 403 {
		t.Errorf("a link's session asking for another partner's CSV: %d, want 403", res.StatusCode)
	}

	// Links that must not sign anyone in.
	enc, sig, _ := strings.Cut(link, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(enc)
	otherPartner := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "|acme|", "|other|", 1))) + "." + sig
	later := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "|"+itoa(expires.Unix()), "|"+itoa(expires.Unix()+86400), 1))) + "." + sig
	flipped := enc + "." + strings.Map(func(r rune) rune {
		if r == '0' {
			return '1'
		}
		return r
	}, sig)
	for _, c := range []struct {
		name, link string
		status     int
		says       string
	}{
		{"another partner in a signed link", otherPartner, 400, "not valid"},
		{"a later expiry in a signed link", later, 400, "not valid"},
		{"a changed signature", flipped, 400, "not valid"},
		{"no signature", enc, 400, "not valid"},
		{"not base64", "%%%." + sig, 400, "not valid"},
		{"far too long", strings.Repeat("a", 300) + "." + sig, 400, "not valid"},
		{"a partner no longer registered", server.ShareLink(e.srv, "gone", expires), 400, "not valid"},
		{"a link signed for longer than links last", server.ShareLink(e.srv, "acme", time.Now().Add(400*24*time.Hour)), 400, "not valid"},
	} {
		// Each case fails twice; the throttle of failed sign-ins (tested
		// in auth_test.go) lets two through every 2 x AuthFailureEvery.
		clock.Advance(2 * server.AuthFailureEvery)
		fresh := newDashboardBrowser(t, e)
		if res, page := fresh.do("GET", "/dashboard?link="+url.QueryEscape(c.link), nil, ""); res.StatusCode != c.status || !strings.Contains(page, c.says) {
			t.Errorf("opening a link with %s: %d, want %d saying %q", c.name, res.StatusCode, c.status, c.says)
		}
		res, _ := fresh.do("POST", "/dashboard/login", url.Values{"link": {c.link}}, testOrigin)
		if res.StatusCode != c.status || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("signing in with a link with %s: %d (cookie %q), want %d and no session", c.name, res.StatusCode, res.Header.Get("Set-Cookie"), c.status)
		}
	}

	// Expired: the link is refused and the session it opened has ended.
	clock.Advance(2*time.Hour + time.Second)
	fresh := newDashboardBrowser(t, e)
	if res, page := fresh.do("GET", "/dashboard?link="+url.QueryEscape(link), nil, ""); res.StatusCode != http.StatusGone || !strings.Contains(page, "has expired") {
		t.Errorf("opening an expired link: %d, want 410 saying it has expired", res.StatusCode)
	}
	if res, _ := fresh.do("POST", "/dashboard/login", url.Values{"link": {link}}, testOrigin); res.StatusCode != http.StatusGone || res.Header.Get("Set-Cookie") != "" {
		t.Errorf("signing in with an expired link: %d", res.StatusCode)
	}
	if _, page := b.do("GET", "/dashboard", nil, ""); !strings.Contains(page, `action="/dashboard/login"`) {
		t.Error("the session opened by a link outlived the link")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestDashboardAdminCreatesSignInLink: the admin creates a link for one
// partner from the dashboard (a post with the session's CSRF token), and
// the link signs its holder in to that partner's figures only.
func TestDashboardAdminCreatesSignInLink(t *testing.T) {
	e := newStatsEnv(t)
	e.write(t, visit("other", time.Now().UTC(), "bob", ev(event.WidgetViewed, event.Data{}), ev(event.WidgetViewed, event.Data{})))
	admin := newDashboardBrowser(t, e)
	admin.signIn("admin-secret")
	_, page := admin.do("GET", "/dashboard", nil, "")
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if csrf == nil || !strings.Contains(page, `<select id="share-partner" name="partner" required>`) {
		t.Fatal("the admin's dashboard has no form to create a sign-in link")
	}
	share := func(b *browser, form url.Values, origin string) (*http.Response, string) {
		return b.do("POST", "/dashboard/share", form, origin)
	}
	for _, c := range []struct {
		name   string
		form   url.Values
		origin string
		status int
	}{
		{"no CSRF token", url.Values{"partner": {"other"}, "days": {"7"}}, testOrigin, 403},
		{"a forged CSRF token", url.Values{"partner": {"other"}, "days": {"7"}, "csrf": {"forged"}}, testOrigin, 403},
		{"another site", url.Values{"partner": {"other"}, "days": {"7"}, "csrf": {csrf[1]}}, "https://evil.example", 403},
		{"an unknown partner", url.Values{"partner": {"nobody"}, "days": {"7"}, "csrf": {csrf[1]}}, testOrigin, 400},
		{"a partner id that is no id", url.Values{"partner": {"<b>x</b>"}, "days": {"7"}, "csrf": {csrf[1]}}, testOrigin, 400},
		{"a lifetime not offered", url.Values{"partner": {"other"}, "days": {"3650"}, "csrf": {csrf[1]}}, testOrigin, 400},
		{"no lifetime", url.Values{"partner": {"other"}, "csrf": {csrf[1]}}, testOrigin, 400},
	} {
		if res, _ := share(admin, c.form, c.origin); res.StatusCode != c.status {
			t.Errorf("creating a link with %s: %d, want %d", c.name, res.StatusCode, c.status)
		}
	}
	// A partner's session may not create links, even for itself.
	partner := newDashboardBrowser(t, e)
	partner.signIn(acmeToken)
	_, partnerPage := partner.do("GET", "/dashboard", nil, "")
	partnerCSRF := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(partnerPage)
	if partnerCSRF == nil {
		t.Fatal("no CSRF token on the partner's page")
	}
	if res, _ := share(partner, url.Values{"partner": {"acme"}, "days": {"7"}, "csrf": {partnerCSRF[1]}}, testOrigin); res.StatusCode != 403 {
		t.Errorf("a partner creating a link: %d, want 403", res.StatusCode)
	}

	res, page := share(admin, url.Values{"partner": {"other"}, "days": {"7"}, "csrf": {csrf[1]}}, testOrigin)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("creating a link: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	m := regexp.MustCompile(`<textarea id="share-link"[^>]*>([^<]+)</textarea>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link on the page:\n%s", page)
	}
	link, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil || link.Scheme+"://"+link.Host != testOrigin || link.Path != "/dashboard" || link.Query().Get("link") == "" {
		t.Fatalf("the link %q is not the dashboard's on the public origin", m[1])
	}
	if want := time.Now().UTC().Add(7 * 24 * time.Hour).Format("2 Jan 2006"); !strings.Contains(readText(page), "until "+want) {
		t.Errorf("the page does not say the link works until %s: %s", want, readText(page))
	}
	// It says how to withdraw it, as credentialOf rules: a new partner
	// token, removing the partner, or a new admin token.
	for _, want := range []string{"give the partner a new token", "remove the partner", "change the admin token"} {
		if !strings.Contains(readText(page), want) {
			t.Errorf("the page does not say how to withdraw the link (%q): %s", want, readText(page))
		}
	}
	if strings.Contains(readText(page), "cannot be withdrawn") {
		t.Error("the page says the link cannot be withdrawn")
	}
	// Whoever holds it signs in to other's figures, and only those.
	holder := newDashboardBrowser(t, e)
	if res, _ := holder.do("GET", link.RequestURI(), nil, ""); res.StatusCode != 200 {
		t.Fatalf("opening the created link: %d", res.StatusCode)
	}
	if res, _ := holder.do("POST", "/dashboard/login", url.Values{"link": {link.Query().Get("link")}}, testOrigin); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in with the created link: %d", res.StatusCode)
	}
	_, page = holder.do("GET", "/dashboard", nil, "")
	if got := headline(page)["Views"]; !strings.Contains(page, "Signed in: Other") || len(got) == 0 || got[0] != "2" {
		t.Errorf("signed in by the created link: views %v, want other's 2", got)
	}
	if res, _ := holder.do("GET", "/dashboard?partner=acme", nil, ""); res.StatusCode != 403 {
		t.Errorf("the created link's session reading acme: %d, want 403", res.StatusCode)
	}
}
