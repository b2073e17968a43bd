package server_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ehforge/forgefit/server"
)

// Partners of the tests below, as a partners file would list them.
var (
	acme  = server.Partner{ID: "acme", Name: "Acme", Origins: []string{partnerPage}, TokenSHA256: server.TokenHash(acmeToken)}
	other = server.Partner{ID: "other", Name: "Other", Origins: []string{"https://other.example"}, TokenSHA256: server.TokenHash(otherToken)}
)

func partnersOf(t *testing.T, ps ...server.Partner) *server.Partners {
	t.Helper()
	p, err := server.NewPartners(ps)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newAuthEnv is a server with partners acme and other, a session key of
// its own (so that the admin token may change under it), and loopback
// trusted as a proxy, so that a test sets each request's client address
// with X-Forwarded-For.
func newAuthEnv(t *testing.T, cfg func(*server.Config)) *ingestEnv {
	return newIngestEnv(t, func(c *server.Config) {
		c.Partners = partnersOf(t, acme, other)
		c.SessionKey = "session-key-shared-by-the-servers"
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		if cfg != nil {
			cfg(c)
		}
	})
}

// secondServer starts another server on e's store, as a second server on
// the same database, configured as e's but for what cfg changes.
func secondServer(t *testing.T, e *ingestEnv, cfg func(*server.Config)) *ingestEnv {
	return newAuthEnv(t, func(c *server.Config) {
		c.Store = e.store
		if cfg != nil {
			cfg(c)
		}
	})
}

// sessionCookie returns the session cookie that b holds.
func (b *browser) sessionCookie() string {
	b.t.Helper()
	u, _ := url.Parse(b.base + "/dashboard")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "forgefit_session" {
			return c.Value
		}
	}
	b.t.Fatal("the browser holds no session cookie")
	return ""
}

// replay asks base for path with a session cookie copied from a browser,
// as someone who took the cookie would, and reports whether it opened the
// signed-in dashboard (or the CSV).
func replay(t *testing.T, base, path, cookie string) (int, bool) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.AddCookie(&http.Cookie{Name: "forgefit_session", Value: cookie})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	page := string(body)
	if strings.HasPrefix(path, "/dashboard/stats.csv") {
		return res.StatusCode, res.StatusCode == 200 && strings.HasPrefix(page, "day,partner,widget")
	}
	return res.StatusCode, res.StatusCode == 200 && strings.Contains(page, "Signed in:") && !strings.Contains(page, `action="/dashboard/login"`)
}

// signedIn reports whether cookie still opens both the dashboard and its
// CSV at base.
func signedIn(t *testing.T, base, cookie string) bool {
	t.Helper()
	_, page := replay(t, base, "/dashboard", cookie)
	_, csv := replay(t, base, "/dashboard/stats.csv", cookie)
	if page != csv {
		t.Errorf("a session opens the dashboard (%v) but not the CSV (%v), or the other way round", page, csv)
	}
	return page && csv
}

// signInByLink signs b in with a sign-in link's token.
func (b *browser) signInByLink(link string) {
	b.t.Helper()
	if res, _ := b.do("POST", "/dashboard/login", url.Values{"link": {link}}, testOrigin); res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign-in with a link: %d", res.StatusCode)
	}
}

// linkRefused reports whether a sign-in link's token is refused both when
// opened and when posted, with a fresh browser.
func linkRefused(t *testing.T, e *ingestEnv, link string) bool {
	t.Helper()
	b := newDashboardBrowser(t, e)
	opened, page := b.do("GET", "/dashboard?link="+url.QueryEscape(link), nil, "")
	posted, _ := b.do("POST", "/dashboard/login", url.Values{"link": {link}}, testOrigin)
	return opened.StatusCode == 400 && strings.Contains(page, "not valid") &&
		posted.StatusCode == 400 && posted.Header.Get("Set-Cookie") == ""
}

// TestSessionsEndWithTheirPartnersToken: when a partner's token_sha256
// changes in the partners file and the file is reloaded, the sessions made
// with the old token, the sign-in links for that partner and the sessions
// they opened are refused at their next request, the dashboard and the
// CSV alike; the new token signs in; other partners and the admin stay
// signed in. Removing the partner then ends the new token's session too.
func TestSessionsEndWithTheirPartnersToken(t *testing.T) {
	e := newAuthEnv(t, nil)
	byToken, byLink, admin, otherPartner := newDashboardBrowser(t, e), newDashboardBrowser(t, e), newDashboardBrowser(t, e), newDashboardBrowser(t, e)
	byToken.signIn(acmeToken)
	link := server.ShareLink(e.srv, "acme", time.Now().Add(7*24*time.Hour).Truncate(time.Second))
	byLink.signInByLink(link)
	admin.signIn("admin-secret")
	otherPartner.signIn(otherToken)
	for name, b := range map[string]*browser{"acme by token": byToken, "acme by link": byLink, "admin": admin, "other": otherPartner} {
		if !signedIn(t, e.http.URL, b.sessionCookie()) {
			t.Fatalf("%s: not signed in to begin with", name)
		}
	}
	if linkRefused(t, e, link) {
		t.Fatal("a valid link is refused to begin with")
	}

	// acme's token is rotated: a new hash in the file, reloaded.
	const newToken = "acme-token-rotated"
	rotated := acme
	rotated.TokenSHA256 = server.TokenHash(newToken)
	e.srv.SetPartners(partnersOf(t, rotated, other))
	if signedIn(t, e.http.URL, byToken.sessionCookie()) {
		t.Error("a session made with acme's old token still opens the dashboard after the token changed")
	}
	if signedIn(t, e.http.URL, byLink.sessionCookie()) {
		t.Error("a session opened by a link made under acme's old token still opens the dashboard")
	}
	if !linkRefused(t, e, link) {
		t.Error("a sign-in link made under acme's old token still signs in")
	}
	if res, _ := newDashboardBrowser(t, e).do("POST", "/dashboard/login", url.Values{"token": {acmeToken}}, testOrigin); res.StatusCode != 401 {
		t.Errorf("signing in with acme's old token: %d, want 401", res.StatusCode)
	}
	if !signedIn(t, e.http.URL, admin.sessionCookie()) || !signedIn(t, e.http.URL, otherPartner.sessionCookie()) {
		t.Error("rotating acme's token signed out the admin or another partner")
	}
	fresh := newDashboardBrowser(t, e)
	fresh.signIn(newToken)
	if !signedIn(t, e.http.URL, fresh.sessionCookie()) {
		t.Fatal("acme's new token does not sign in")
	}
	newLink := server.ShareLink(e.srv, "acme", time.Now().Add(24*time.Hour).Truncate(time.Second))
	if linkRefused(t, e, newLink) {
		t.Error("a link made under acme's new token is refused")
	}

	// acme is removed from the file, reloaded.
	e.srv.SetPartners(partnersOf(t, other))
	if signedIn(t, e.http.URL, fresh.sessionCookie()) {
		t.Error("a session of a removed partner still opens the dashboard")
	}
	if !linkRefused(t, e, newLink) {
		t.Error("a sign-in link of a removed partner still signs in")
	}
	// Back again with the same token: its sessions hold again, since
	// they name a credential that holds.
	e.srv.SetPartners(partnersOf(t, rotated, other))
	if !signedIn(t, e.http.URL, fresh.sessionCookie()) {
		t.Error("a session made with a token that holds again is refused")
	}
}

// TestSessionsEndWithTheAdminToken: a server whose admin token changed
// (here a second server on the same database and session key, as after
// a restart with a new token) refuses the admin's sessions made with the
// old token and every sign-in link made under it, with the sessions those
// opened; partners' token sessions hold, and the new token signs in.
func TestSessionsEndWithTheAdminToken(t *testing.T) {
	e := newAuthEnv(t, nil)
	admin, partner, byLink := newDashboardBrowser(t, e), newDashboardBrowser(t, e), newDashboardBrowser(t, e)
	admin.signIn("admin-secret")
	partner.signIn(acmeToken)
	link := server.ShareLink(e.srv, "acme", time.Now().Add(7*24*time.Hour).Truncate(time.Second))
	byLink.signInByLink(link)

	const newAdmin = "admin-secret-changed"
	changed := secondServer(t, e, func(c *server.Config) { c.AdminToken = newAdmin })
	if !signedIn(t, e.http.URL, admin.sessionCookie()) {
		t.Fatal("the admin's session is refused by the server that made it")
	}
	if signedIn(t, changed.http.URL, admin.sessionCookie()) {
		t.Error("an admin session made with the old admin token opens the dashboard after the token changed")
	}
	if signedIn(t, changed.http.URL, byLink.sessionCookie()) {
		t.Error("a session opened by a link the old admin token made holds after the token changed")
	}
	if !linkRefused(t, changed, link) {
		t.Error("a sign-in link made under the old admin token still signs in")
	}
	if !signedIn(t, changed.http.URL, partner.sessionCookie()) {
		t.Error("a partner's token session is refused after the admin token changed")
	}
	b := newDashboardBrowser(t, changed)
	b.signIn(newAdmin)
	if !signedIn(t, changed.http.URL, b.sessionCookie()) {
		t.Error("the new admin token does not sign in")
	}
	if res, _ := newDashboardBrowser(t, changed).do("POST", "/dashboard/login", url.Values{"token": {"admin-secret"}}, testOrigin); res.StatusCode != 401 {
		t.Errorf("signing in with the old admin token: %d, want 401", res.StatusCode)
	}
}

// TestSignOutEndsTheSessionForGood: a copy of a session cookie taken
// before sign-out opens nothing after it, on the server signed out of and
// on a second server sharing the database; another session of the same
// partner stays signed in.
func TestSignOutEndsTheSessionForGood(t *testing.T) {
	e := newAuthEnv(t, nil)
	second := secondServer(t, e, nil)
	b, elsewhere := newDashboardBrowser(t, e), newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	elsewhere.signIn(acmeToken)
	copied := b.sessionCookie()
	if !signedIn(t, e.http.URL, copied) || !signedIn(t, second.http.URL, copied) {
		t.Fatal("a copied session cookie does not open the dashboard on both servers before sign-out")
	}
	_, page := b.do("GET", "/dashboard", nil, "")
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatal("no CSRF token in the sign-out form")
	}
	res, _ := b.do("POST", "/dashboard/logout", url.Values{"csrf": {csrf[1]}}, testOrigin)
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign-out: %d, Set-Cookie %q", res.StatusCode, res.Header.Get("Set-Cookie"))
	}
	for name, base := range map[string]string{"the server signed out of": e.http.URL, "a second server on the database": second.http.URL} {
		if status, ok := replay(t, base, "/dashboard", copied); ok || status != 200 {
			t.Errorf("%s: a copied cookie replayed after sign-out opens the dashboard (%d)", name, status)
		}
		if status, ok := replay(t, base, "/dashboard/stats.csv", copied); ok || status != 401 {
			t.Errorf("%s: a copied cookie replayed after sign-out gets the CSV: %d, want 401", name, status)
		}
	}
	if !signedIn(t, e.http.URL, elsewhere.sessionCookie()) {
		t.Error("signing out ended the partner's other session")
	}
	ended, err := e.store.SessionEnded(t.Context(), sessionID(t, copied))
	if err != nil || !ended {
		t.Errorf("the store does not hold the signed-out session as ended: %v %v", ended, err)
	}
}

// sessionID reads the id out of a session cookie's readable payload.
func sessionID(t *testing.T, cookie string) string {
	t.Helper()
	enc, _, _ := strings.Cut(cookie, ".")
	payload, err := base64.RawURLEncoding.DecodeString(enc)
	parts := strings.Split(string(payload), "|")
	if err != nil || len(parts) != 6 {
		t.Fatalf("session cookie payload %q", payload)
	}
	return parts[4]
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// client sends requests from one client address (X-Forwarded-For from a
// trusted proxy).
type client struct {
	t    *testing.T
	e    *ingestEnv
	addr string
}

// get asks for path with a bearer token and returns the status, the
// Retry-After header and the error code of a JSON error.
func (c client) get(path, token string) (int, string, string) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.e.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return c.send(req)
}

// login posts the dashboard's sign-in form with form.
func (c client) login(form url.Values) (int, string, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.e.http.URL+"/dashboard/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", testOrigin)
	return c.send(req)
}

func (c client) send(req *http.Request) (int, string, string) {
	c.t.Helper()
	req.Header.Set("X-Forwarded-For", c.addr)
	res, err := noRedirects.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && res.StatusCode >= 400 {
		_ = json.NewDecoder(res.Body).Decode(&body)
	}
	return res.StatusCode, res.Header.Get("Retry-After"), body.Error.Code
}

// TestFailedAuthenticationIsThrottled: from one address, right tokens
// are never slowed; AuthFailureBurst wrong ones are answered 401 and the
// next 429 with Retry-After, through the error table, after which the
// address is refused before its credential is checked, right or wrong,
// until Retry-After has passed. Other addresses are unaffected. The
// stats API, /metrics, the sign-in form and sign-in links all count.
func TestFailedAuthenticationIsThrottled(t *testing.T) {
	e := newAuthEnv(t, nil)
	clock := server.SetTestClock(e.srv)
	const stats = "/api/v1/stats"
	n := server.AuthFailureBurst

	a := client{t, e, "198.51.100.7"}
	for i := range 5 * n {
		if status, _, _ := a.get(stats, acmeToken); status != 200 {
			t.Fatalf("right token, request %d: %d, want 200: right tokens spend nothing", i+1, status)
		}
	}
	for i := range n {
		if status, retry, _ := a.get(stats, "wrong-"+strconv.Itoa(i)); status != 401 || retry != "" {
			t.Fatalf("wrong token %d of %d: %d (Retry-After %q), want 401", i+1, n, status, retry)
		}
	}
	status, retry, code := a.get(stats, "wrong-again")
	wait, _ := strconv.Atoi(retry)
	if status != 429 || code != server.ERateLimited || wait < 1 || time.Duration(wait)*time.Second > 2*server.AuthFailureEvery {
		t.Fatalf("wrong token %d: %d %q Retry-After %q, want 429 rate_limited with Retry-After of a few seconds", n+1, status, code, retry)
	}
	// Spent: refused before the token is looked at, or the answer would
	// tell a right guess from a wrong one.
	if status, retry, _ := a.get(stats, acmeToken); status != 429 || retry == "" {
		t.Errorf("right token from a spent address: %d (Retry-After %q), want 429", status, retry)
	}
	if status, _, _ := a.get("/metrics", "admin-secret"); status != 429 {
		t.Errorf("the admin token from a spent address: %d, want 429", status)
	}

	// Another address, and another address of another /64, are their own.
	for _, addr := range []string{"198.51.100.8", "2001:db8:1:2::1"} {
		b := client{t, e, addr}
		if status, _, _ := b.get(stats, acmeToken); status != 200 {
			t.Errorf("right token from %s: %d, want 200", addr, status)
		}
		if status, _, _ := b.get(stats, "wrong"); status != 401 {
			t.Errorf("wrong token from %s: %d, want 401", addr, status)
		}
	}
	// One IPv6 /64 is one client, however many addresses it rotates through.
	for i := range n {
		c := client{t, e, "2001:db8:0:9::" + strconv.Itoa(i+1)}
		if status, _, _ := c.get(stats, "wrong"); status != 401 {
			t.Fatalf("wrong token %d from a /64: %d, want 401", i+1, status)
		}
	}
	if status, _, _ := (client{t, e, "2001:db8:0:9::ffff"}).get(stats, acmeToken); status != 429 {
		t.Errorf("right token from a spent /64's next address: %d, want 429", status)
	}

	// Once Retry-After has passed, the right token passes again.
	clock.Advance(time.Duration(wait) * time.Second)
	if status, _, _ := a.get(stats, acmeToken); status != 200 {
		t.Errorf("right token after Retry-After: %d, want 200", status)
	}

	// /metrics: wrong admin tokens count.
	m := client{t, e, "203.0.113.1"}
	for i := range n {
		if status, _, _ := m.get("/metrics", "wrong"); status != 401 {
			t.Fatalf("/metrics, wrong token %d: %d, want 401", i+1, status)
		}
	}
	if status, retry, code := m.get("/metrics", "wrong"); status != 429 || retry == "" || code != server.ERateLimited {
		t.Errorf("/metrics after %d wrong tokens: %d %q (Retry-After %q), want 429", n, status, code, retry)
	}
	if status, _, _ := (client{t, e, "203.0.113.2"}).get("/metrics", "admin-secret"); status != 200 {
		t.Errorf("/metrics with the admin token from another address: %d, want 200", status)
	}

	// /api/v1/installations: the same throttle as the stats.
	in := client{t, e, "203.0.113.6"}
	for i := range n {
		if status, _, _ := in.get("/api/v1/installations", "wrong"); status != 401 {
			t.Fatalf("/api/v1/installations, wrong token %d: %d, want 401", i+1, status)
		}
	}
	if status, retry, code := in.get("/api/v1/installations", "wrong"); status != 429 || retry == "" || code != server.ERateLimited {
		t.Errorf("/api/v1/installations after %d wrong tokens: %d %q (Retry-After %q), want 429", n, status, code, retry)
	}
	if status, retry, _ := in.get("/api/v1/installations", acmeToken); status != 429 || retry == "" {
		t.Errorf("/api/v1/installations, right token from a spent address: %d (Retry-After %q), want 429", status, retry)
	}
	if status, _, _ := (client{t, e, "203.0.113.7"}).get("/api/v1/installations", acmeToken); status != 200 {
		t.Errorf("/api/v1/installations with a partner token from another address: %d, want 200", status)
	}

	// The sign-in form: wrong tokens and forged links share the budget.
	f := client{t, e, "203.0.113.3"}
	forged := "bDJ8YWNtZXwxfHg.0000"
	for i := range n {
		form := url.Values{"token": {"wrong"}}
		if i%2 == 1 {
			form = url.Values{"link": {forged}}
		}
		if status, _, _ := f.login(form); status != 401 && status != 400 {
			t.Fatalf("sign-in failure %d: %d, want 401 or 400", i+1, status)
		}
	}
	if status, retry, _ := f.login(url.Values{"token": {acmeToken}}); status != 429 || retry == "" {
		t.Errorf("signing in from a spent address: %d (Retry-After %q), want 429", status, retry)
	}
	if status, _, _ := (client{t, e, "203.0.113.4"}).login(url.Values{"token": {acmeToken}}); status != http.StatusSeeOther {
		t.Errorf("signing in from another address: %d, want 303", status)
	}

	// Opening forged sign-in links counts too; an expired link, which we
	// signed, does not.
	l := client{t, e, "203.0.113.5"}
	open := func(link string) (int, string, string) {
		req, _ := http.NewRequest("GET", e.http.URL+"/dashboard?link="+url.QueryEscape(link), nil)
		return l.send(req)
	}
	expired := server.ShareLink(e.srv, "acme", clock.Now().Add(-time.Hour).Truncate(time.Second))
	for range 2 * n {
		if status, _, _ := open(expired); status != http.StatusGone {
			t.Fatalf("an expired link: %d, want 410, and no failure spent", status)
		}
	}
	for i := range n {
		if status, _, _ := open(forged); status != 400 {
			t.Fatalf("forged link %d: %d, want 400", i+1, status)
		}
	}
	if status, retry, _ := open(server.ShareLink(e.srv, "acme", clock.Now().Add(time.Hour).Truncate(time.Second))); status != 429 || retry == "" {
		t.Errorf("opening a valid link from a spent address: %d (Retry-After %q), want 429", status, retry)
	}
}
