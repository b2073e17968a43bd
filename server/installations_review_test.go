package server_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/ehforge/forgefit/store"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehforge/forgefit/server"
)

// sessionCheckStore wraps a real store and fails its session checks on
// demand, as a database gone away does.
type sessionCheckStore struct {
	store.Store
	fail atomic.Bool
}

func (s *sessionCheckStore) SessionEnded(ctx context.Context, id string) (bool, error) {
	if s.fail.Load() {
		return false, errors.New("database is locked")
	}
	return s.Store.SessionEnded(ctx, id)
}

// TestInstallationsPageWhenTheStoreFails: a signed-in viewer whose session
// cannot be checked because the store fails gets 503, as the API does,
// not the sign-in page (which would say the session had ended).
func TestInstallationsPageWhenTheStoreFails(t *testing.T) {
	var store *sessionCheckStore
	e := newIngestEnv(t, func(c *server.Config) {
		c.Partners, _ = server.NewPartners([]server.Partner{
			{ID: "acme", Name: "Acme", Origins: []string{partnerPage}, TokenSHA256: server.TokenHash(acmeToken)},
		})
		store = &sessionCheckStore{Store: c.Store}
		c.Store = store
	})
	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	if res, _ := b.do("GET", "/dashboard/installations", nil, ""); res.StatusCode != 200 {
		t.Fatalf("installations page: %d, want 200", res.StatusCode)
	}
	store.fail.Store(true)
	res, body := b.do("GET", "/dashboard/installations", nil, "")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("installations page with the store failing: %d to %q, want 503: %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	store.fail.Store(false)
	if res, _ := b.do("GET", "/dashboard/installations", nil, ""); res.StatusCode != 200 {
		t.Errorf("installations page once the store is back: %d, want 200 (the session holds)", res.StatusCode)
	}
}

// TestInstallationsRefuseWidget: installations are counted per host page,
// not per widget; a widget parameter is refused with a 400 that says so,
// by the API and the page, rather than ignored.
func TestInstallationsRefuseWidget(t *testing.T) {
	e := newStatsEnv(t)
	res, body := e.getStats(t, "/api/v1/installations?widget="+widgetID, acmeToken)
	if res.StatusCode != 400 || !strings.Contains(string(body), "per host page") {
		t.Errorf("API with widget=: %d %s, want 400 naming the reason", res.StatusCode, body)
	}
	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	if res, page := b.do("GET", "/dashboard/installations?widget="+widgetID, nil, ""); res.StatusCode != 400 || !strings.Contains(page, "per host page") {
		t.Errorf("page with widget=: %d, want 400 naming the reason", res.StatusCode)
	}
	if res, _ := b.do("GET", "/dashboard/installations", nil, ""); res.StatusCode != 200 {
		t.Errorf("page without widget=: %d, want 200", res.StatusCode)
	}
}

// committedThenCancelledStore adds installation counts for good, then,
// when the flush's context has ended meanwhile, reports the cancel, as a
// driver does that sees the context end after the commit.
type committedThenCancelledStore struct{ store.Store }

func (s committedThenCancelledStore) AddInstallCounts(ctx context.Context, counts []store.InstallCount) error {
	if err := s.Store.AddInstallCounts(context.WithoutCancel(ctx), counts); err != nil {
		return err
	}
	return ctx.Err()
}

// TestInstallationsReadCancelledCountsOnce: a read of the installations
// whose client has gone away does not end the flush it makes first, so
// counts the store committed are not put back and added a second time.
func TestInstallationsReadCancelledCountsOnce(t *testing.T) {
	e := newIngestEnv(t, func(c *server.Config) {
		c.Partners, _ = server.NewPartners([]server.Partner{
			{ID: "acme", Name: "Acme", Origins: []string{partnerPage}, TokenSHA256: server.TokenHash(acmeToken)},
		})
		c.Store = committedThenCancelledStore{c.Store}
	})
	e.widgetPage(t, page("acme", partnerPage, "/it"), browserAgent)

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client has gone
	req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/installations", nil)
	req.Header.Set("Authorization", "Bearer "+acmeToken)
	e.srv.ServeHTTP(httptest.NewRecorder(), req)
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
		t.Errorf("the store has %d pages served, want 1: the flush of a cancelled read was added twice", served)
	}
}

// TestInstallationsReportIsBounded: over a range of days, the report
// lists the host pages that served most and the origins refused most, up
// to its caps, then one row each that sums the rest: nothing is lost, and
// the report does not grow with the range.
func TestInstallationsReportIsBounded(t *testing.T) {
	e := newStatsEnv(t)
	clock := server.SetTestClock(e.srv)
	first := store.Day(time.Now())
	for range 3 {
		e.widgetPage(t, page("acme", partnerPage, "/often"), browserAgent)
	}
	for i := range 149 {
		e.widgetPage(t, page("acme", partnerPage, fmt.Sprintf("/p%d", i)), browserAgent)
	}
	for range 5 {
		e.widgetPage(t, page("acme", "https://often.example", "/"), browserAgent)
	}
	origins := 1
	for day := range 4 {
		if day > 0 {
			clock.Advance(24 * time.Hour)
		}
		for i := range 19 {
			e.widgetPage(t, page("acme", fmt.Sprintf("https://o%d-%d.example", day, i), "/"), browserAgent)
			origins++
		}
	}
	last := store.Day(first.Add(4 * 24 * time.Hour))
	q := "?from=" + first.Format(time.DateOnly) + "&to=" + last.Format(time.DateOnly)
	status, rep := e.installations(t, q, acmeToken)
	if status != 200 {
		t.Fatalf("installations: %d", status)
	}
	if len(rep.Installations) != 101 {
		t.Fatalf("%d installations listed, want 100 and a row of the others", len(rep.Installations))
	}
	var served int64
	for _, in := range rep.Installations {
		served += in.Served
	}
	other := rep.Installations[100]
	if served != 152 || other.Other != 50 || other.Origin != "*" || other.Path != "*" || other.Served != 50 {
		t.Errorf("served %d (want 152); the others' row %+v, want 50 pages summed under *", served, other)
	}
	if !slices.ContainsFunc(rep.Installations[:100], func(in server.Installation) bool { return in.Path == "/often" && in.Served == 3 }) {
		t.Error("the page that served most is not listed one by one")
	}
	if len(rep.Refused) != 51 {
		t.Fatalf("%d refusals listed, want 50 and a row of the others", len(rep.Refused))
	}
	var refused int64
	for _, ro := range rep.Refused {
		refused += ro.Refused
	}
	ro := rep.Refused[50]
	if refused != 5+76 || ro.Reason != "other" || ro.Other != int64(origins-50) || ro.Origin != "*" {
		t.Errorf("refused %d (want 81); the others' row %+v, want %d origins summed", refused, ro, origins-50)
	}
	if rep.Refused[0].Origin != "https://often.example" || rep.Refused[0].Refused != 5 {
		t.Errorf("first refusal %+v, want the origin refused most", rep.Refused[0])
	}

	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	_, body := b.do("GET", "/dashboard/installations"+q, nil, "")
	text := html.UnescapeString(body)
	for _, want := range []string{"50 more host pages", fmt.Sprintf("%d more refused origins", origins-50)} {
		if !strings.Contains(text, want) {
			t.Errorf("the installations page lacks %q", want)
		}
	}
}

// widgetPageWith asks for a widget page with the request's headers set
// as given (Sec-Fetch-Dest, Referer), and returns the status.
func (e *ingestEnv) widgetPageWith(t *testing.T, q url.Values, header map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", e.http.URL+"/w/"+widgetID+"?"+q.Encode(), nil)
	req.Header.Set("User-Agent", browserAgent)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestInstallationsCountOnlyFramedRequests: only what a browser asks for
// an iframe on the origin named counts: a widget page opened directly
// (Sec-Fetch-Dest: document) or naming an origin its Referer is not of
// counts nothing, served or refused; a framed one, with or without a
// Referer, counts.
func TestInstallationsCountOnlyFramedRequests(t *testing.T) {
	e := newStatsEnv(t)
	const evil = "https://evil.example"
	for _, h := range []map[string]string{
		{"Sec-Fetch-Dest": "document"},
		{"Sec-Fetch-Dest": "iframe", "Referer": "https://attacker.example/page"},
		{"Referer": "not a url"},
	} {
		e.widgetPageWith(t, page("acme", partnerPage, "/forged"), h)
		e.widgetPageWith(t, page("acme", evil, "/"), h)
		e.widgetPageWith(t, page("made-up", evil, "/"), h)
	}
	_, rep := e.installations(t, "", "admin-secret")
	if len(rep.Installations) != 0 || len(rep.Refused) != 0 {
		t.Fatalf("requests no browser made for an iframe on the origin named were counted: %+v %+v", rep.Installations, rep.Refused)
	}
	e.widgetPageWith(t, page("acme", partnerPage, "/it"), map[string]string{"Sec-Fetch-Dest": "iframe", "Referer": partnerPage + "/it?x=1"})
	e.widgetPageWith(t, page("acme", partnerPage, "/it"), map[string]string{"Sec-Fetch-Dest": "iframe"})
	e.widgetPageWith(t, page("acme", evil, "/"), map[string]string{"Sec-Fetch-Dest": "iframe", "Referer": evil + "/"})
	_, rep = e.installations(t, "", "admin-secret")
	if len(rep.Installations) != 1 || rep.Installations[0].Served != 2 || len(rep.Refused) != 1 || rep.Refused[0].Refused != 1 {
		t.Errorf("framed requests: %+v %+v, want one page served twice and one refusal", rep.Installations, rep.Refused)
	}
}

// TestInstallationsFloodCannotEvict: made-up paths, origins and partner
// ids, each asked for once, fill the day's places first; real pages, refused
// origins and a partner's typo, asked for steadily, still get their own
// rows and keep them through a second flood: the caps keep what is counted
// most, not what came first. The advice about a refused origin is never a
// bare instruction to register it.
func TestInstallationsFloodCannotEvict(t *testing.T) {
	e := newStatsEnv(t)
	const staging = "https://staging.acme.com"
	flood := func(round int) {
		for i := range 250 {
			n := fmt.Sprintf("r%d-%d", round, i)
			e.widgetPage(t, page("acme", partnerPage, "/"+n), browserAgent)
			e.widgetPage(t, page("acme", "https://"+n+".example", "/"), browserAgent)
			e.widgetPage(t, page("no-"+n, "https://"+n+".example", "/"), browserAgent)
		}
	}
	real := func() {
		e.widgetPage(t, page("acme", partnerPage, "/real"), browserAgent)
		e.widgetPage(t, page("acme", staging, "/"), browserAgent)
		e.widgetPage(t, page("acme-typo", partnerPage, "/real"), browserAgent)
	}
	flood(0)
	for range 3 {
		real()
	}
	flood(1)
	real()

	_, rep := e.installations(t, "", "admin-secret")
	var realServed int64
	for _, in := range rep.Installations {
		if in.Path == "/real" {
			realServed = in.Served
		}
	}
	// The first request of each is counted under "*" while the flood
	// holds every place; from the second on, each is counted as itself.
	if realServed != 3 {
		t.Errorf("/real has %d pages served under its own name, want 3 of its 4", realServed)
	}
	var stagingRefused, typoRefused int64
	for _, ro := range rep.Refused {
		switch {
		case ro.Origin == staging && ro.Reason == "origin":
			stagingRefused = ro.Refused
			if strings.HasPrefix(ro.Fix, "Register") || !strings.Contains(ro.Fix, "If "+staging+" is one of Acme's sites") || !strings.Contains(ro.Fix, "Browsers asked 3 times") {
				t.Errorf("the advice about %s: %q, want it conditional and to say browsers asked", staging, ro.Fix)
			}
		case ro.AskedPartner == "acme-typo":
			typoRefused = ro.Refused
		}
	}
	if stagingRefused != 3 {
		t.Errorf("%s refused %d times under its own name, want 3 of 4", staging, stagingRefused)
	}
	// A typo on a partner's own origin is ranked among that partner's
	// own: the made-up ids from elsewhere never push it out.
	if typoRefused != 4 {
		t.Errorf("the typo acme-typo on acme's origin refused %d times under its own name, want 4", typoRefused)
	}
}

// TestStartReportsNeedTheirPagesToken: the widget page framed by a host
// page carries a start token, which its report must echo: a report
// without one, with a forged one, with one of another page or with one
// expired is refused with 403 and counts nothing; the page's own counts.
func TestStartReportsNeedTheirPagesToken(t *testing.T) {
	const html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>w</title></head><body>widget</body></html>"
	e := newIngestEnv(t, func(c *server.Config) {
		c.Partners, _ = server.NewPartners([]server.Partner{
			{ID: "acme", Name: "Acme", Origins: []string{partnerPage}, TokenSHA256: server.TokenHash(acmeToken)},
		})
		c.Widgets = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { // go-app's prerender, in short
			w.Header().Set("Content-Length", strconv.Itoa(len(html)))
			io.WriteString(w, html)
		})
	})
	clock := server.SetTestClock(e.srv)
	fetch := func(q url.Values) string {
		t.Helper()
		req, _ := http.NewRequest("GET", e.http.URL+"/w/"+widgetID+"?"+q.Encode(), nil)
		req.Header.Set("User-Agent", browserAgent)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.HasSuffix(string(b), "</html>") {
			t.Fatalf("widget page: %d %q", res.StatusCode, b)
		}
		return string(b)
	}
	tokenRE := regexp.MustCompile(`<head><meta name="forgefit-start" content="([0-9]+\.[0-9a-f]{32})"><meta charset`)
	m := tokenRE.FindStringSubmatch(fetch(page("acme", partnerPage, "/it")))
	if m == nil {
		t.Fatal("the framed widget page carries no start token just after <head>")
	}
	for _, q := range []url.Values{page("acme", partnerPage, "/it", "test", "1"), {"partner": {"acme"}}} {
		if strings.Contains(fetch(q), "forgefit-start") {
			t.Errorf("a widget page in test mode or not framed (%s) carries a start token", q.Encode())
		}
	}
	report := func(token string) url.Values {
		f := url.Values{"partner": {"acme"}, "origin": {partnerPage}, "path": {"/it"}, "interactive": {"120"}}
		if token != "" {
			f.Set("token", token)
		}
		return f
	}
	forged := m[1][:len(m[1])-1] + map[bool]string{true: "0", false: "1"}[!strings.HasSuffix(m[1], "0")]
	other := tokenRE.FindStringSubmatch(fetch(page("acme", partnerPage, "/elsewhere")))[1]
	for name, f := range map[string]url.Values{
		"no token":                    report(""),
		"an empty token":              url.Values{"partner": {"acme"}, "origin": {partnerPage}, "path": {"/it"}, "token": {""}},
		"a forged token":              report(forged),
		"another page's token":        report(other),
		"a token of a window to come": report(strconv.FormatInt(time.Now().Add(3*server.StartTokenWindow).Unix()/int64(server.StartTokenWindow/time.Second), 10) + "." + strings.Repeat("0", 32)),
	} {
		if status := postStart(t, e, f); status != 403 {
			t.Errorf("a report with %s: %d, want 403", name, status)
		}
	}
	// The page's own token counts, within its window and the next.
	if status := postStart(t, e, report(m[1])); status != 204 {
		t.Fatalf("a report with its page's token: %d, want 204", status)
	}
	clock.Advance(2 * server.StartTokenWindow)
	if status := postStart(t, e, report(m[1])); status != 403 {
		t.Errorf("a report with an expired token: %d, want 403", status)
	}
	_, rep := e.installations(t, "?from="+store.Day(time.Now()).Format(time.DateOnly), acmeToken)
	var started int64
	for _, in := range rep.Installations {
		started += in.Started
	}
	if started != 1 {
		t.Errorf("%d starts counted, want 1: only the report with its page's token", started)
	}
}

// postStart posts a start report of form as it is, with no token added.
func postStart(t *testing.T, e *ingestEnv, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest("POST", e.http.URL+"/w/"+widgetID+"/started", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", testOrigin)
	req.Header.Set("User-Agent", browserAgent)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
