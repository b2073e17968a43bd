package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ehforge/forgefit/server"
)

// installPage is a partner's page with the snippet, naming the partner
// its path's first part says (/acme/…, /acme-typo/…).
const installPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>IT services</title></head>
<body><main><h1>IT services</h1>
<div data-forgefit-widget="co-managed-vs-fully-managed" data-forgefit-partner="%s" data-forgefit-lazy="false"><a href="%s">Compare co-managed and fully managed IT</a></div>
<script src="%s/embed.js" async></script>
<script>addEventListener("forgefit:error", (e) => (document.body.dataset.failed = e.detail.code));</script>
</main></body></html>`

// TestInstallationsShowWhereTheWidgetRuns embeds the widget, in a real
// browser, from a registered origin of partner acme, from an origin acme
// has not registered (its staging site), and with a mistyped partner id;
// then reads the Installations API and page as acme, as globex and as the
// admin: one working installation with its start times, one refused
// origin naming that origin, and the mistyped id, each shown only to
// whom it belongs.
func TestInstallationsShowWhereTheWidgetRuns(t *testing.T) {
	var fit string
	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		partner, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, installPage, partner, fit+"/w/co-managed-vs-fully-managed?partner="+partner, fit)
	})
	acme := httptest.NewServer(site)
	t.Cleanup(acme.Close)
	staging := httptest.NewServer(site)
	t.Cleanup(staging.Close)
	globexSite := httptest.NewServer(site)
	t.Cleanup(globexSite.Close)
	const acmeToken, globexToken = "acme-e2e-token", "globex-e2e-token"
	file := filepath.Join(t.TempDir(), "partners.json")
	b, _ := json.Marshal(map[string]any{"partners": []map[string]any{
		{"id": "acme", "name": "Acme", "origins": []string{acme.URL}, "token_sha256": server.TokenHash(acmeToken)},
		{"id": "globex", "name": "Globex", "origins": []string{globexSite.URL}, "token_sha256": server.TokenHash(globexToken)},
	}})
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProduct(t, "-partners", file)
	fit = p.URL

	// A visitor on acme's page: the widget starts, and reports it once
	// the client has taken over.
	visitor := newBrowser(t, 1280, 900, asVisitor...)
	if err := chromedp.Do(visitor, chromedp.Navigate(acme.URL+"/acme/it-services")); err != nil {
		t.Fatal(err)
	}
	w := frame(t, visitor, "/w/co-managed-vs-fully-managed")
	waitTrue(t, w, tookOver, 30*time.Second)
	// On acme's staging site, not registered, and with a mistyped id: the
	// loader hears why at once and puts the fallback link back.
	for u, code := range map[string]string{staging.URL + "/acme/it-services": "origin", acme.URL + "/acme-typo/pricing": "partner"} {
		if err := chromedp.Do(visitor, chromedp.Navigate(u)); err != nil {
			t.Fatal(err)
		}
		waitTrue(t, visitor, `document.body.dataset.failed === "`+code+`" && !!document.querySelector("main div a") && !document.querySelector("iframe")`, 15*time.Second)
	}

	api := func(token string) server.InstallationsReport {
		t.Helper()
		req, _ := http.NewRequest("GET", p.URL+"/api/v1/installations", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var rep server.InstallationsReport
		if res.StatusCode != 200 {
			t.Fatalf("GET /api/v1/installations: %d", res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	// The start report is a beacon: wait for it to be counted.
	var rep server.InstallationsReport
	deadline := time.Now().Add(20 * time.Second)
	for {
		rep = api(acmeToken)
		if len(rep.Installations) == 1 && rep.Installations[0].Started == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(rep.Installations) != 1 {
		t.Fatalf("acme's installations: %+v, want one", rep.Installations)
	}
	in := rep.Installations[0]
	if in.Origin != acme.URL || in.Path != "/acme/it-services" || in.Served != 1 || in.Started != 1 || in.Status != "working" || len(in.Errors) != 0 {
		t.Errorf("acme's installation: %+v, want %s/acme/it-services served once, started once, working", in, acme.URL)
	}
	for _, m := range []string{"painted", "interactive", "takeover"} {
		if st := in.StartTimes[m]; st.Reports != 1 || st.P50 <= 0 || st.P75 < st.P50 {
			t.Errorf("start time %s: %+v, want one report with its p50 and p75", m, st)
		}
	}
	if in.Locale != "en" || in.ContentVersion == "" {
		t.Errorf("locale %q, content version %q", in.Locale, in.ContentVersion)
	}
	refused := map[string]server.RefusedOrigin{}
	for _, r := range rep.Refused {
		refused[r.Reason+" "+r.Origin] = r
	}
	if r, ok := refused["origin "+staging.URL]; !ok || r.Partner != "acme" || r.Refused != 1 || !strings.Contains(r.Fix, staging.URL) {
		t.Errorf("acme's refusals %+v lack its staging origin %s, refused once, with a fix naming it", rep.Refused, staging.URL)
	}
	if r, ok := refused["partner "+acme.URL]; !ok || r.AskedPartner != "acme-typo" || !strings.Contains(r.Fix, `data-forgefit-partner="acme"`) {
		t.Errorf("acme's refusals %+v lack the mistyped partner id from its own origin, with the fix", rep.Refused)
	}
	if len(rep.Refused) != 2 {
		t.Errorf("acme's refusals: %+v, want 2", rep.Refused)
	}
	// Globex sees none of acme's; the admin sees all.
	if g := api(globexToken); len(g.Installations) != 0 || len(g.Refused) != 0 {
		t.Errorf("globex sees %+v", g)
	}
	if a := api(p.Admin); len(a.Installations) != 1 || len(a.Refused) != 2 {
		t.Errorf("the admin sees %d installations and %d refusals, want 1 and 2", len(a.Installations), len(a.Refused))
	}

	// The page, as acme's marketer signs in with the token, on a laptop
	// and a phone: axe-clean, no sideways scrolling, reached from the
	// dashboard's nav.
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): `make test` installs it (make deps)", err)
	}
	signIn := func(token string) context.Context {
		ctx := newBrowser(t, 1280, 900)
		if err := chromedp.Do(ctx,
			chromedp.Navigate(p.URL+"/dashboard"),
			chromedp.SendKeys(chromedp.ID("token"), token),
			chromedp.Submit(chromedp.ID("token")),
		); err != nil {
			t.Fatal(err)
		}
		waitTrue(t, ctx, `!!document.querySelector(".views")`, 10*time.Second)
		click(t, ctx, `nav.pages a[href="/dashboard/installations"]`)
		waitTrue(t, ctx, `document.title.startsWith("Installations")`, 10*time.Second)
		return ctx
	}
	ctx := signIn(acmeToken)
	text := eval[string](t, ctx, `document.querySelector("main").innerText`)
	for _, want := range []string{acme.URL + "/acme/it-services", "Working", "Table painted", "Interactive", "Client took over",
		staging.URL, "Origin not registered", "Unknown partner", "acme-typo"} {
		if !strings.Contains(text, want) {
			t.Errorf("acme's installations page lacks %q:\n%s", want, text)
		}
	}
	if n := eval[int](t, ctx, `document.scripts.length`); n != 0 {
		t.Errorf("the installations page has %d scripts", n)
	}
	eval[bool](t, ctx, string(axe)+";true")
	for _, width := range []int64{1280, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, ctx, fmt.Sprintf("the installations page at %d px", width), "body")
		if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
			t.Errorf("at %d px the installations page scrolls sideways", width)
		}
		shot(t, ctx, fmt.Sprintf("installations-%d", width))
	}
	// Globex's page shows nothing of acme's.
	g := signIn(globexToken)
	if text := eval[string](t, g, `document.querySelector("main").innerText`); strings.Contains(text, acme.URL) || strings.Contains(text, staging.URL) ||
		!strings.Contains(text, "Installations: Globex") {
		t.Errorf("globex's installations page:\n%s", text)
	}
	if !slices.ContainsFunc(rep.Installations, func(i server.Installation) bool { return i.Partner == "acme" }) {
		t.Error("the installation is not acme's")
	}
}
