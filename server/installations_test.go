package server_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/content"
)

// browserAgent is a person's browser: Go's own user agent is a crawler's,
// whose requests installations leave out.
const browserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// widgetPage asks for a widget page as the loader's iframe does, with the
// query q, and returns the status.
func (e *ingestEnv) widgetPage(t *testing.T, q url.Values, agent string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", e.http.URL+"/w/"+widgetID+"?"+q.Encode(), nil)
	req.Header.Set("User-Agent", agent)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// reportStart posts a start report as frame.js does, from origin (the
// Origin header) and returns the status.
func (e *ingestEnv) reportStart(t *testing.T, widget string, form url.Values, origin string) int {
	t.Helper()
	return e.reportStartAs(t, widget, form, origin, browserAgent)
}

func (e *ingestEnv) reportStartAs(t *testing.T, widget string, form url.Values, origin, agent string) int {
	t.Helper()
	if !form.Has("token") { // the token of the page reported on, as frame.js echoes it
		o, _ := server.NormalizeOrigin(form.Get("origin"))
		form = maps.Clone(form)
		form.Set("token", server.StartToken(e.srv, form.Get("partner"), widget, o, form.Get("path")))
	}
	req, _ := http.NewRequest("POST", e.http.URL+"/w/"+widget+"/started", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	req.Header.Set("User-Agent", agent)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func (e *ingestEnv) installations(t *testing.T, query, token string) (int, server.InstallationsReport) {
	t.Helper()
	res, b := e.getStats(t, "/api/v1/installations"+query, token)
	var rep server.InstallationsReport
	if res.StatusCode == 200 {
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
	}
	return res.StatusCode, rep
}

func page(partner, origin, path string, extra ...string) url.Values {
	q := url.Values{"partner": {partner}, "origin": {origin}, "path": {path}, "locale": {"en"}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

func ratep(f float64) *float64 { return &f }

// TestInstallationsFromKnownRequests serves, refuses and hears start
// reports from known requests, then reads the figures as each token may:
// a partner sees its own host pages and refusals only (with the refusal
// of a mistyped partner id coming from its origin), the admin all.
func TestInstallationsFromKnownRequests(t *testing.T) {
	e := newStatsEnv(t)
	const staging = "https://staging.acme.com"
	for _, r := range []struct {
		q      url.Values
		agent  string
		status int
	}{
		{page("acme", partnerPage, "/it"), browserAgent, 404}, // the test's go-app handler answers 404
		{page("acme", partnerPage, "/it"), browserAgent, 404},
		{page("acme", partnerPage, "/it", "v", "0193c5a2-0000-7000-8000-000000000001"), browserAgent, 404}, // a later page of a visit
		{page("acme", partnerPage, "/it", "test", "1"), browserAgent, 404},                                 // test mode
		{page("acme", partnerPage, "/it"), "Googlebot/2.1 (+http://www.google.com/bot.html)", 404},         // a crawler
		{url.Values{"partner": {"acme"}}, browserAgent, 404},                                               // the fallback link: no host page
		{page("acme", partnerPage, "/pricing"), browserAgent, 404},
		{page("acme", staging, "/it"), browserAgent, 403},
		{page("acme", staging, "/about"), browserAgent, 403},
		{page("acme-typo", partnerPage, "/it"), browserAgent, 404},
		{page("nobody", "https://elsewhere.example", "/"), browserAgent, 404},
		{page("other", "https://other.example", "/x"), browserAgent, 404},
	} {
		if got := e.widgetPage(t, r.q, r.agent); got != r.status {
			t.Fatalf("GET /w/%s?%s: %d, want %d", widgetID, r.q.Encode(), got, r.status)
		}
	}
	start := func(partner, origin, path string, kv ...string) url.Values {
		f := url.Values{"partner": {partner}, "origin": {origin}, "path": {path}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	for _, r := range []struct {
		widget string
		form   url.Values
		origin string
		status int
	}{
		{widgetID, start("acme", partnerPage, "/it", "painted", "150", "interactive", "280", "takeover", "900"), testOrigin, 204},
		{widgetID, start("acme", partnerPage, "/it", "painted", "450", "interactive", "600", "takeover", "1400"), testOrigin, 204},
		{widgetID, start("acme", partnerPage, "/pricing", "painted", "180", "interactive", "250", "error", "wasm"), testOrigin, 204},
		// Refused, and counted nowhere:
		{widgetID, start("acme", partnerPage, "/it", "interactive", "100"), "https://evil.example", 403}, // not our page
		{widgetID, start("acme", staging, "/it", "interactive", "100"), testOrigin, 400},                 // not acme's origin
		{widgetID, start("nobody", partnerPage, "/it", "interactive", "100"), testOrigin, 400},           // no such partner
		{widgetID, start("acme", partnerPage, "it", "interactive", "100"), testOrigin, 400},              // not a path
		{widgetID, start("acme", partnerPage, "/it", "interactive", "-1"), testOrigin, 400},
		{widgetID, start("acme", partnerPage, "/it", "interactive", "99999999"), testOrigin, 400},
		{widgetID, start("acme", partnerPage, "/it", "error", "<script>"), testOrigin, 400},
		{"no-such-widget", start("acme", partnerPage, "/it", "interactive", "100"), testOrigin, 404},
	} {
		if got := e.reportStart(t, r.widget, r.form, r.origin); got != r.status {
			t.Errorf("POST start report %s from %s: %d, want %d", r.form.Encode(), r.origin, got, r.status)
		}
	}

	// A crawler's report is taken and not counted, as its pages are not.
	if got := e.reportStartAs(t, widgetID, start("acme", partnerPage, "/it", "interactive", "100"), testOrigin, "Googlebot/2.1"); got != 204 {
		t.Errorf("a crawler's start report: %d, want 204", got)
	}

	today := time.Now().UTC().Format(time.DateOnly)
	ignore := cmpopts.IgnoreFields(server.Installation{}, "LastSeen")
	ignoreRefused := cmpopts.IgnoreFields(server.RefusedOrigin{}, "LastSeen", "Fix")
	acmeIT := server.Installation{
		Partner: "acme", Origin: partnerPage, Path: "/it", Served: 2, Started: 2, StartedRate: ratep(1),
		Errors: map[string]int64{},
		StartTimes: map[string]server.StartTime{
			"painted":     {P50: 200, P75: 500, Reports: 2},
			"interactive": {P50: 300, P75: 750, Reports: 2},
			"takeover":    {P50: 1000, P75: 1500, Reports: 2},
		},
		Locale: "en", ContentVersion: contentVersion(t), Status: "working", Reason: "2 of 2 widget pages served reported their start.",
	}
	acmePricing := server.Installation{
		Partner: "acme", Origin: partnerPage, Path: "/pricing", Served: 1, Started: 1, StartedRate: ratep(1),
		Errors: map[string]int64{"wasm": 1},
		StartTimes: map[string]server.StartTime{
			"painted":     {P50: 200, P75: 200, Reports: 1},
			"interactive": {P50: 300, P75: 300, Reports: 1},
		},
		Locale: "en", ContentVersion: contentVersion(t), Status: "failing", Reason: "1 of 1 widget starts reported an error (wasm: 1).",
	}
	other := server.Installation{
		Partner: "other", Origin: "https://other.example", Path: "/x", Served: 1, StartedRate: ratep(0),
		Errors: map[string]int64{}, StartTimes: map[string]server.StartTime{},
		Locale: "en", ContentVersion: contentVersion(t), Status: "working",
		Reason: "Widget pages are served; no start reported yet (visitors who have not consented report nothing).",
	}
	acmeRefused := []server.RefusedOrigin{
		{Partner: "acme", Origin: staging, Reason: "origin", Refused: 2},
		{AskedPartner: "acme-typo", Origin: partnerPage, Reason: "partner", Refused: 1},
	}
	for _, c := range []struct {
		name, token, query string
		want               server.InstallationsReport
	}{
		{"acme", acmeToken, "", server.InstallationsReport{Partner: "acme", Installations: []server.Installation{acmeIT, acmePricing}, Refused: acmeRefused}},
		{"other", otherToken, "", server.InstallationsReport{Partner: "other", Installations: []server.Installation{other}, Refused: []server.RefusedOrigin{}}},
		{"admin", "admin-secret", "", server.InstallationsReport{Installations: []server.Installation{acmeIT, acmePricing, other},
			Refused: append(acmeRefused, server.RefusedOrigin{AskedPartner: "nobody", Origin: "https://elsewhere.example", Reason: "partner", Refused: 1})}},
		{"admin, one partner", "admin-secret", "?partner=other", server.InstallationsReport{Partner: "other", Installations: []server.Installation{other}, Refused: []server.RefusedOrigin{}}},
		{"empty range", acmeToken, "?from=2020-01-01&to=2020-01-31", server.InstallationsReport{Partner: "acme", From: "2020-01-01", To: "2020-01-31",
			Installations: []server.Installation{}, Refused: []server.RefusedOrigin{}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, got := e.installations(t, c.query, c.token)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			if c.want.From == "" {
				if got.To != today {
					t.Errorf("the range ends %s, not today (%s)", got.To, today)
				}
				c.want.From, c.want.To = got.From, got.To
			}
			if diff := cmp.Diff(c.want, got, ignore, ignoreRefused, cmpopts.SortSlices(func(a, b server.RefusedOrigin) bool {
				return a.Origin+a.AskedPartner < b.Origin+b.AskedPartner
			})); diff != "" {
				t.Errorf("installations (-want +got):\n%s", diff)
			}
			for _, in := range got.Installations {
				if time.Since(in.LastSeen) > time.Minute {
					t.Errorf("%s%s was last seen at %v", in.Origin, in.Path, in.LastSeen)
				}
			}
			for _, r := range got.Refused {
				if !strings.Contains(r.Fix, r.Origin) || r.LastSeen.IsZero() {
					t.Errorf("refused %+v: its fix does not name its origin, or it was never seen", r)
				}
			}
		})
	}
	// What to do, in each viewer's words.
	_, admin := e.installations(t, "", "admin-secret")
	_, acme := e.installations(t, "", acmeToken)
	fixes := map[string]string{}
	for _, r := range admin.Refused {
		fixes["admin "+r.Origin+" "+r.AskedPartner] = r.Fix
	}
	for _, r := range acme.Refused {
		fixes["acme "+r.Origin+" "+r.AskedPartner] = r.Fix
	}
	for key, want := range map[string]string{
		"admin " + staging + " ":              `Browsers asked 2 times for the widget from https://staging.acme.com. If https://staging.acme.com is one of Acme's sites, register it in the partners file's origins of partner "acme"`,
		"acme " + staging + " ":               "If https://staging.acme.com is yours, ask your Forge Fit contact to register it for Acme",
		"admin " + partnerPage + " acme-typo": `if the snippet there is theirs, it should say data-forgefit-partner="acme"`,
		"acme " + partnerPage + " acme-typo":  `partner "acme-typo" from https://www.acme.com, which is not registered. If the snippet on that page is yours, set data-forgefit-partner="acme"`,
	} {
		if !strings.Contains(fixes[key], want) {
			t.Errorf("fix for %s: %q, want it to say %q", key, fixes[key], want)
		}
	}

	// A partner's token reads no one else's; no token reads nothing.
	if status, _ := e.installations(t, "?partner=acme", otherToken); status != http.StatusForbidden {
		t.Errorf("other's token reading acme's installations: %d, want 403", status)
	}
	if status, _ := e.installations(t, "", ""); status != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", status)
	}

	// Prometheus: per-partner counters.
	_, metrics := e.getStats(t, "/metrics", "admin-secret")
	for _, line := range []string{
		`forgefit_widget_pages_served_total{partner="acme"} 3`,
		`forgefit_widget_pages_served_total{partner="other"} 1`,
		`forgefit_widget_pages_refused_total{partner="acme",reason="origin"} 2`,
		`forgefit_widget_pages_refused_total{partner="(unknown)",reason="partner"} 2`,
		`forgefit_widget_starts_total{partner="acme"} 3`,
		`forgefit_widget_start_errors_total{code="wasm",partner="acme"} 1`,
		`forgefit_widget_interactive_seconds_count{partner="acme"} 3`,
	} {
		if !strings.Contains(string(metrics), line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}

	// The page, signed in as acme: its host pages, statuses, start times
	// and refusals with what to do; nothing of other's.
	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	res, body := b.do("GET", "/dashboard/installations", nil, "")
	text := html.UnescapeString(body)
	if res.StatusCode != 200 {
		t.Fatalf("installations page: %d", res.StatusCode)
	}
	for _, want := range []string{"Installations: Acme", "https://www.acme.com/it", "Working", "Failing", "wasm: 1",
		"≤ 200 ms", "≤ 500 ms", "https://staging.acme.com", "ask your Forge Fit contact to register it", `data-forgefit-partner="acme"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the installations page lacks %q", want)
		}
	}
	if strings.Contains(text, "other.example") || strings.Contains(text, "elsewhere.example") || strings.Contains(body, "<script") {
		t.Errorf("acme's installations page shows another partner's pages, or has a script")
	}
	// Unsigned, it is the sign-in page's.
	if res, _ := newDashboardBrowser(t, e).do("GET", "/dashboard/installations", nil, ""); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" {
		t.Errorf("unsigned: %d to %q, want 303 to /dashboard", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestInstallationsDayBoundary counts a page served a second before UTC
// midnight on its day and one a second after on the next, and reads each
// day on its own.
func TestInstallationsDayBoundary(t *testing.T) {
	e := newStatsEnv(t)
	clock := server.SetTestClock(e.srv)
	now := time.Now().UTC()
	midnight := store.Day(now).AddDate(0, 0, 1)
	clock.Advance(midnight.Add(-time.Second).Sub(now))
	e.widgetPage(t, page("acme", partnerPage, "/it"), browserAgent)
	clock.Advance(2 * time.Second)
	e.widgetPage(t, page("acme", partnerPage, "/it"), browserAgent)
	e.widgetPage(t, page("acme", partnerPage, "/it"), browserAgent)
	for day, want := range map[time.Time]int64{midnight.AddDate(0, 0, -1): 1, midnight: 2} {
		d := day.Format(time.DateOnly)
		_, rep := e.installations(t, "?from="+d+"&to="+d, acmeToken)
		if len(rep.Installations) != 1 || rep.Installations[0].Served != want {
			t.Errorf("%s: %+v, want one installation with %d pages served", d, rep.Installations, want)
		}
	}
	d := midnight.AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + midnight.Format(time.DateOnly)
	if _, rep := e.installations(t, "?from="+d, acmeToken); len(rep.Installations) != 1 || rep.Installations[0].Served != 3 {
		t.Errorf("both days: %+v, want one installation with 3 pages served", rep.Installations)
	}
}

// TestInstallationsNotSeen says an installation silent for 7 days is not
// seen.
func TestInstallationsNotSeen(t *testing.T) {
	e := newStatsEnv(t)
	clock := server.SetTestClock(e.srv)
	e.widgetPage(t, page("acme", partnerPage, "/it"), browserAgent)
	clock.Advance(8 * 24 * time.Hour)
	_, rep := e.installations(t, "", acmeToken)
	if len(rep.Installations) != 1 || rep.Installations[0].Status != "not_seen" || !strings.Contains(rep.Installations[0].Reason, "Not seen for 7 days") {
		t.Errorf("installations: %+v, want one not seen for 7 days", rep.Installations)
	}
}

// TestInstallationsAreBounded asks for widget pages from more made-up
// paths, origins and partner ids than the caps allow: the counts past
// them go to one "*" bucket each, and nothing is lost.
func TestInstallationsAreBounded(t *testing.T) {
	e := newStatsEnv(t)
	for i := range 250 {
		n := strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
		e.widgetPage(t, page("acme", partnerPage, "/"+n), browserAgent)
		e.widgetPage(t, page("acme", "https://"+n+".example", "/"), browserAgent)
		e.widgetPage(t, page("no-"+n, "https://"+n+".example", "/"), browserAgent)
	}
	_, rep := e.installations(t, "", "admin-secret")
	var served, refused, unknown int64
	pages, origins, asked := 0, 0, 0
	for _, in := range rep.Installations {
		served += in.Served
		pages++
	}
	for _, r := range rep.Refused {
		if r.Reason == "origin" {
			refused += r.Refused
			origins++
		} else {
			unknown += r.Refused
			asked++
		}
	}
	if served != 250 || refused != 250 || unknown != 250 {
		t.Errorf("served %d, refused %d, unknown partners %d; want 250 each", served, refused, unknown)
	}
	if pages > 201 || origins > 21 || asked > 21 {
		t.Errorf("%d pages, %d refused origins, %d unknown partners kept one by one: over the caps", pages, origins, asked)
	}
}

// contentVersion is the default content's version, as the widget pages
// serve it.
func contentVersion(t *testing.T) string {
	t.Helper()
	lib, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	w, err := lib.Widget(widgetID, "en")
	if err != nil {
		t.Fatal(err)
	}
	return w.Version
}

// TestCloseStoresInstallationCounts: counts still in memory when the
// server stops gracefully are in the store afterwards.
func TestCloseStoresInstallationCounts(t *testing.T) {
	e := newStatsEnv(t)
	e.widgetPage(t, page("acme", partnerPage, "/it"), browserAgent)
	if err := e.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	day := store.Day(time.Now())
	counts, err := e.store.InstallCounts(context.Background(), store.InstallQuery{From: day.AddDate(0, 0, -1), To: day.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var served int64
	for _, c := range counts {
		if c.Metric == store.InstallServed {
			served += c.N
		}
	}
	if served != 1 {
		t.Errorf("after Close the store has %d pages served, want 1: %+v", served, counts)
	}
}
