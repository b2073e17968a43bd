package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ehforge/forgefit/widget/event"
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
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/dashboard"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, acmeToken) {
		t.Error("the session cookie holds the token")
	}
	_, page = b.do("GET", "/dashboard", nil, "")
	if !strings.Contains(page, "Partner acme") || !strings.Contains(page, "UTC") {
		t.Fatalf("signed-in page does not show the partner and the UTC note:\n%s", page)
	}
	views := regexp.MustCompile(`<dt>Views</dt><dd>(\d+)</dd>`).FindStringSubmatch(page)
	if views == nil || views[1] != "1" {
		t.Errorf("views headline %v, want acme's 1 (not the other partner's 3)", views)
	}
	if !strings.Contains(page, "Either model") || !strings.Contains(page, "<svg") || !strings.Contains(page, "stats.csv") {
		t.Error("the dashboard lacks the outcome split, the chart or the CSV link")
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
	b.do("POST", "/dashboard/login", url.Values{"token": {"admin-secret"}}, testOrigin)
	_, page := b.do("GET", "/dashboard?partner=other", nil, "")
	if !strings.Contains(page, "<dt>Views</dt><dd>1</dd>") || !strings.Contains(page, `<option value="acme">`) {
		t.Errorf("admin dashboard for partner other:\n%s", page)
	}
}
