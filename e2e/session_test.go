package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/store/pgtest"
)

// TestSessionsEndOnEveryServer runs two forgefit processes on one
// PostgreSQL database. In Chromium, a partner's marketer signs in to the
// dashboard of one and signs out with the page's button: the session
// cookie, copied from the browser before, opens neither server's
// dashboard afterwards. A new session, made with the partner's token, is
// refused by both once the token is rotated in the partners file and the
// servers reload it (SIGHUP), and the new token signs in. Wrong tokens
// from the browser's address are refused with 429 after a few, on a
// sign-in page that axe finds clean at 1280 and 375 px.
func TestSessionsEndOnEveryServer(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const oldToken, newToken = "acme-e2e-token-before-the-rotation", "acme-e2e-token-after-the-rotation"
	partners := filepath.Join(t.TempDir(), "partners.json")
	writePartners := func(token string) {
		t.Helper()
		if err := os.WriteFile(partners, []byte(`{"partners": [{"id": "acme", "name": "Acme",
			"origins": ["https://www.acme.example"], "token_sha256": "`+server.TokenHash(token)+`"}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writePartners(oldToken)
	servers := []*product{
		launchProduct(t, freePort(t), freePort(t), dsn, "-partners", partners),
		launchProduct(t, freePort(t), freePort(t), dsn, "-partners", partners),
	}
	for _, p := range servers {
		p.waitReady(t)
	}
	a := servers[0]

	ctx := newBrowser(t, 1280, 900)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/dashboard"),
		chromedp.SendKeys(chromedp.ID("token"), oldToken),
		chromedp.Submit(chromedp.ID("token")),
	); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, `!!document.querySelector("form.signout")`, 10*time.Second)
	copied := browserSession(t, ctx, a.URL)
	for i, p := range servers {
		if !opensDashboard(t, p, copied) {
			t.Fatalf("server %d: the session cookie does not open the dashboard before sign-out", i)
		}
	}
	click(t, ctx, "form.signout button")
	waitTrue(t, ctx, `!!document.getElementById("token")`, 10*time.Second)
	for i, p := range servers {
		if opensDashboard(t, p, copied) {
			t.Errorf("server %d: a copy of the session cookie still opens the dashboard after sign-out", i)
		}
	}

	// A session made with the token, refused once the token is rotated.
	fresh := signInOverHTTP(t, servers[1], oldToken)
	if !opensDashboard(t, a, fresh) {
		t.Fatal("a session made on one server does not open the other's dashboard")
	}
	writePartners(newToken)
	marks := make([]int64, len(servers))
	for i, p := range servers {
		marks[i] = p.proc.Output().Mark()
		if err := p.proc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range servers {
		// The server logs the reload once the new partners are in use.
		p.waitLog(t, marks[i], "partners file reloaded")
		if opensDashboard(t, p, fresh) {
			t.Fatalf("server %d: a session made with the old token still opens the dashboard after the partners file with a new token was reloaded", i)
		}
	}
	for i, p := range servers {
		if !opensDashboard(t, p, signInOverHTTP(t, p, newToken)) {
			t.Errorf("server %d: the rotated token does not sign in", i)
		}
	}

	// Guessing from the browser: after a few wrong tokens, 429.
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): `make test` installs it (make deps)", err)
	}
	var status int64
	for i := 0; status != http.StatusTooManyRequests; i++ {
		if i > 30 {
			t.Fatalf("still %d after %d wrong tokens, want 429", status, i)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/dashboard")); err != nil {
			t.Fatal(err)
		}
		resp, err := chromedp.RunResponse(ctx,
			chromedp.SendKeys(chromedp.ID("token"), fmt.Sprintf("wrong-%d", i)),
			chromedp.Submit(chromedp.ID("token")),
		)
		if err != nil {
			t.Fatal(err)
		}
		status = resp.Status
		if status != http.StatusUnauthorized && status != http.StatusTooManyRequests {
			t.Fatalf("wrong token %d: %d", i+1, status)
		}
	}
	if msg := eval[string](t, ctx, `document.querySelector("[role=alert]").textContent`); !strings.Contains(msg, "Too many failed sign-ins") {
		t.Errorf("the throttled sign-in page says %q", msg)
	}
	eval[bool](t, ctx, string(axe)+";true")
	for _, width := range []int64{1280, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, ctx, fmt.Sprintf("the throttled sign-in page at %d px", width), "body")
	}
	shot(t, ctx, "dashboard-signin-throttled")
}

// browserSession returns the session cookie the browser in ctx holds for
// base (HttpOnly: read through the DevTools protocol).
func browserSession(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/dashboard"}})
	if err != nil {
		t.Fatal(err)
	}
	var value string
	for _, c := range res.Cookies {
		if c.Name == "forgefit_session" {
			value = c.Value
		}
	}
	if value == "" {
		t.Fatal("the browser holds no session cookie")
	}
	return value
}

// signInOverHTTP signs in to p's dashboard with token and returns the
// session cookie.
func signInOverHTTP(t *testing.T, p *product, token string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", p.URL+"/dashboard/login", strings.NewReader("token="+token))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.URL)
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "forgefit_session" && res.StatusCode == http.StatusSeeOther {
			return c.Value
		}
	}
	t.Fatalf("signing in to %s: %d, no session cookie", p.URL, res.StatusCode)
	return ""
}

var noFollow = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// opensDashboard reports whether cookie opens p's signed-in dashboard.
func opensDashboard(t *testing.T, p *product, cookie string) bool {
	t.Helper()
	req, _ := http.NewRequest("GET", p.URL+"/dashboard", nil)
	req.AddCookie(&http.Cookie{Name: "forgefit_session", Value: cookie})
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode == 200 && strings.Contains(string(body), `action="/dashboard/logout"`)
}
