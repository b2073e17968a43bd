package server_test

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/google/go-cmp/cmp"
)

const (
	newcoToken = "newco-token"
	// evilTitle is a widget title that tries to leave the snippet's
	// textarea and the preview's markup.
	evilTitle = `Compare </textarea><script>alert(1)</script> & "IT"`
	evilName  = `Other <script>alert(2)</script> & Co`
)

// newEmbedEnv serves the Embed page with three partners: acme (one origin,
// a token), other (whose name is markup, a token) and newco (no origins
// yet, a token), and a second widget whose title is markup.
func newEmbedEnv(t *testing.T) *ingestEnv {
	t.Helper()
	return newIngestEnv(t, func(c *server.Config) {
		c.Partners, _ = server.NewPartners([]server.Partner{
			{ID: "acme", Name: "Acme", Origins: []string{partnerPage}, TokenSHA256: server.TokenHash(acmeToken)},
			{ID: "other", Name: evilName, Origins: []string{"https://other.example"}, TokenSHA256: server.TokenHash(otherToken)},
			{ID: "newco", Name: "Newco", Origins: []string{}, TokenSHA256: server.TokenHash(newcoToken)},
		})
		b, err := os.ReadFile("../widget/content/defaults/co-managed-vs-fully-managed.en.json")
		if err != nil {
			t.Fatal(err)
		}
		evil := strings.Replace(string(b), `"id": "co-managed-vs-fully-managed"`, `"id": "zz-evil"`, 1)
		evil = strings.Replace(evil, `"title": "Co-managed IT versus fully managed IT"`, `"title": `+jsonString(evilTitle), 1)
		lib, _ := content.Default()
		if err := lib.AddFS(fstest.MapFS{"c/zz-evil.en.json": {Data: []byte(evil)}}, "c"); err != nil {
			t.Fatal(err)
		}
		c.Content = lib
	})
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

var textareaRE = regexp.MustCompile(`(?s)<textarea id="?([a-z]+)"?[^>]*>(.*?)</textarea>`)

// textareas returns the page's textareas by id, as a browser shows their
// text: what a partner copies.
func textareas(page string) map[string]string {
	out := map[string]string{}
	for _, m := range textareaRE.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

func TestEmbedPageSnippet(t *testing.T) {
	e := newEmbedEnv(t)
	b := newDashboardBrowser(t, e)
	b.signIn("admin-secret")
	for _, tc := range []struct {
		name, query, snippet string
	}{
		{"defaults", "partner=acme", `<div data-forgefit-widget="co-managed-vs-fully-managed" data-forgefit-partner="acme">
  <a href="http://fit.test/w/co-managed-vs-fully-managed?partner=acme">Co-managed IT versus fully managed IT</a>
</div>
<script src="http://fit.test/embed.js" async></script>`},
		{"defaults as the form sends them", "partner=acme&widget=co-managed-vs-fully-managed&locale=&theme=light&view=quiz&accent=", `<div data-forgefit-widget="co-managed-vs-fully-managed" data-forgefit-partner="acme">
  <a href="http://fit.test/w/co-managed-vs-fully-managed?partner=acme">Co-managed IT versus fully managed IT</a>
</div>
<script src="http://fit.test/embed.js" async></script>`},
		{"every option", "partner=acme&widget=co-managed-vs-fully-managed&locale=de&theme=dark&view=table&accent=%23AbC&lazy=false&consent=required&test=1&datalayer=1",
			`<div data-forgefit-widget="co-managed-vs-fully-managed" data-forgefit-partner="acme" data-forgefit-locale="de" data-forgefit-theme="dark" data-forgefit-view="table" data-forgefit-accent="#abc" data-forgefit-lazy="false" data-forgefit-consent="required" data-forgefit-datalayer data-forgefit-test>
  <a href="http://fit.test/w/co-managed-vs-fully-managed?accent=%23abc&amp;consent=required&amp;locale=de&amp;partner=acme&amp;test=1&amp;theme=dark&amp;view=table">Co-Managed IT oder Fully Managed IT</a>
</div>
<script src="http://fit.test/embed.js" async></script>`},
		{"admin without a partner gets the first", "theme=auto&view=full", `<div data-forgefit-widget="co-managed-vs-fully-managed" data-forgefit-partner="acme" data-forgefit-theme="auto" data-forgefit-view="full">
  <a href="http://fit.test/w/co-managed-vs-fully-managed?partner=acme&amp;theme=auto&amp;view=full">Co-managed IT versus fully managed IT</a>
</div>
<script src="http://fit.test/embed.js" async></script>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, page := b.do("GET", "/dashboard/embed?"+tc.query, nil, "")
			if res.StatusCode != 200 {
				t.Fatalf("%d:\n%s", res.StatusCode, readText(page))
			}
			got := textareas(page)
			want := map[string]string{
				"snippet": tc.snippet,
				"reserve": "[data-forgefit-widget] { min-height: 100vh; }",
				"csp":     "script-src http://fit.test;\nframe-src http://fit.test;",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("copied text (-want +got):\n%s", diff)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src 'self'") || strings.Contains(csp, "script-src") ||
				!strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("Embed page CSP %q: want our frames only, no scripts, framed by no one", csp)
			}
			if strings.Contains(page, "<script") {
				t.Error("the Embed page has a script of its own (the snippet's must only show as text)")
			}
			if !strings.Contains(page, `<iframe class="preview" src="/dashboard/embed/preview?`) {
				t.Error("no preview")
			}
		})
	}
	// The README's rule is the one the page hands out.
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```css\n[data-forgefit-widget] { min-height: 100vh; }\n```") {
		t.Error("README's rule reserving the widget's room is not the one the Embed page gives")
	}
}

func TestEmbedPageRefusesUnknownValues(t *testing.T) {
	e := newEmbedEnv(t)
	b := newDashboardBrowser(t, e)
	b.signIn("admin-secret")
	for _, tc := range []struct {
		query   string
		status  int
		message string
	}{
		{"partner=nobody", 404, `partner: no partner "nobody" is registered`},
		{"widget=nope", 404, `widget: no widget "nope"`},
		{"locale=fr", 400, `locale: the widget has no locale "fr" (it has de, en)`},
		{"theme=neon", 400, `theme: "neon" is not light, dark or auto`},
		{"view=cards", 400, `view: "cards" is not quiz, table or full`},
		{"accent=red", 400, `accent: "red" is not a colour written #rgb or #rrggbb`},
		{"accent=%22%3E%3Cscript%3Ealert(3)%3C/script%3E", 400, `accent: "\"><script>alert(3)</script>" is not a colour`},
		{"lazy=true", 400, `lazy: "true" is not a value this option takes ("false", or leave it out)`},
		{"consent=yes", 400, `consent: "yes" is not a value`},
		{"test=on", 400, `test: "on" is not a value`},
		{"datalayer=0", 400, `datalayer: "0" is not a value`},
		{"widget=%3Cscript%3Ealert(4)%3C/script%3E&theme=neon", 404, `widget: no widget "<script>alert(4)</script>"`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			res, page := b.do("GET", "/dashboard/embed?"+tc.query, nil, "")
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d", res.StatusCode, tc.status)
			}
			if text := readText(page); !strings.Contains(text, tc.message) {
				t.Errorf("the page does not say %q:\n%s", tc.message, text)
			}
			if strings.Contains(page, "<script") {
				t.Error("a parameter reached the page unescaped")
			}
			if _, ok := textareas(page)["snippet"]; ok || strings.Contains(page, "<iframe") {
				t.Error("a snippet or a preview was made from options the form does not offer")
			}
			if !strings.Contains(page, `action="/dashboard/embed"`) {
				t.Error("no form to choose again")
			}
			if res, _ := b.do("GET", "/dashboard/embed/preview?"+tc.query, nil, ""); res.StatusCode != tc.status {
				t.Errorf("preview: %d, want %d", res.StatusCode, tc.status)
			}
		})
	}
}

func TestEmbedPageEscapes(t *testing.T) {
	e := newEmbedEnv(t)
	b := newDashboardBrowser(t, e)
	b.signIn("admin-secret")
	res, page := b.do("GET", "/dashboard/embed?partner=other&widget=zz-evil", nil, "")
	if res.StatusCode != 200 {
		t.Fatalf("%d", res.StatusCode)
	}
	if strings.Contains(page, "<script") {
		t.Fatalf("markup from a partner's name or a widget's title reached the page:\n%s", page)
	}
	if !strings.Contains(readText(page), "Embed the widget: "+evilName) {
		t.Error("the partner's name does not show as text")
	}
	// The snippet is HTML: the title is escaped in it, and the page shows
	// that HTML as text.
	wantLink := `>Compare &lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;IT&#34;</a>`
	if s := textareas(page)["snippet"]; !strings.Contains(s, wantLink) {
		t.Errorf("snippet %q does not hold the title escaped", s)
	}
	_, preview := b.do("GET", "/dashboard/embed/preview?partner=other&widget=zz-evil", nil, "")
	if strings.Contains(preview, "<script>alert") || !strings.Contains(preview, wantLink) {
		t.Errorf("the preview does not hold the title escaped:\n%s", preview)
	}
}

func TestEmbedPagePartnerAccess(t *testing.T) {
	e := newEmbedEnv(t)
	anon := newDashboardBrowser(t, e)
	if res, page := anon.do("GET", "/dashboard/embed?partner=acme", nil, ""); res.StatusCode != 200 || !strings.Contains(page, `action="/dashboard/login"`) || strings.Contains(page, "data-forgefit") {
		t.Errorf("signed out: %d, want the sign-in page and no snippet", res.StatusCode)
	}
	if res, _ := anon.do("GET", "/dashboard/embed/preview?partner=acme", nil, ""); res.StatusCode != 401 {
		t.Errorf("preview signed out: %d, want 401", res.StatusCode)
	}
	// A bearer token opens the API, not the dashboard's pages.
	req, _ := http.NewRequest("GET", e.http.URL+"/dashboard/embed?partner=acme", nil)
	req.Header.Set("Authorization", "Bearer "+acmeToken)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("bearer: %v", err)
	} else {
		res.Body.Close()
	}

	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	res, page := b.do("GET", "/dashboard/embed", nil, "")
	if res.StatusCode != 200 {
		t.Fatalf("own page: %d", res.StatusCode)
	}
	if s := textareas(page)["snippet"]; !strings.Contains(s, `data-forgefit-partner="acme"`) {
		t.Errorf("a partner's own snippet: %q", s)
	}
	if !strings.Contains(readText(page), partnerPage) {
		t.Error("the partner's registered origin is not listed")
	}
	if strings.Contains(page, `id="partner"`) {
		t.Error("a partner is offered a choice of partners")
	}
	for _, q := range []string{"partner=other", "partner=other&widget=zz-evil&theme=dark", "partner=nobody", "partner=newco"} {
		res, page := b.do("GET", "/dashboard/embed?"+q, nil, "")
		if res.StatusCode != 403 {
			t.Errorf("%s: %d, want 403", q, res.StatusCode)
		}
		for _, secret := range []string{"https://other.example", "Other", "Newco", `data-forgefit-partner="other"`, `data-forgefit-partner="newco"`, "preview?"} {
			if strings.Contains(page, secret) {
				t.Errorf("%s: acme's session sees %q", q, secret)
			}
		}
		if _, ok := textareas(page)["snippet"]; ok {
			t.Errorf("%s: a snippet is shown", q)
		}
		if res, body := b.do("GET", "/dashboard/embed/preview?"+q, nil, ""); res.StatusCode != 403 || strings.Contains(body, "data-forgefit") {
			t.Errorf("preview %s: %d, want 403 and no snippet", q, res.StatusCode)
		}
	}
}

func TestEmbedPageWithoutOrigins(t *testing.T) {
	e := newEmbedEnv(t)
	b := newDashboardBrowser(t, e)
	b.signIn(newcoToken)
	_, page := b.do("GET", "/dashboard/embed", nil, "")
	notice := section(page, "origins-h")
	for _, want := range []string{"No origins are registered for Newco yet", "Ask your Forge Fit contact to register the origin of every site", "https://www.your-site.com", "staging"} {
		if !strings.Contains(notice, want) {
			t.Errorf("the origins section does not say %q: %s", want, notice)
		}
	}
	if _, ok := textareas(page)["snippet"]; !ok || !strings.Contains(page, "<iframe") {
		t.Error("without origins the snippet and the preview are still shown, so the partner can prepare")
	}
	admin := newDashboardBrowser(t, e)
	admin.signIn("admin-secret")
	_, page = admin.do("GET", "/dashboard/embed?partner=newco", nil, "")
	if notice := section(page, "origins-h"); !strings.Contains(notice, "partners file") {
		t.Errorf("the admin is not told where origins go: %s", notice)
	}
	// Such a partner's widget page may be framed by no one.
	res, _ := b.do("GET", "/w/co-managed-vs-fully-managed?partner=newco", nil, "")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP of a widget page of a partner without origins: %q", csp)
	}
	if _, err := server.ParsePartners([]byte(`{"partners":[{"id":"newco","name":"Newco","origins":[]}]}`)); err != nil {
		t.Errorf("a partners file with an empty origins list: %v", err)
	}
}

// TestEmbedPreviewRunsOnOurOriginInTestModeOnly checks the preview page
// and the one exception it needs: a widget page and its events accept our
// own origin as the host page's in test mode, and only then.
func TestEmbedPreviewRunsOnOurOriginInTestModeOnly(t *testing.T) {
	e := newEmbedEnv(t)
	b := newDashboardBrowser(t, e)
	b.signIn("admin-secret")
	res, preview := b.do("GET", "/dashboard/embed/preview?partner=acme&theme=dark", nil, "")
	if res.StatusCode != 200 {
		t.Fatalf("preview: %d", res.StatusCode)
	}
	want := `<div data-forgefit-widget="co-managed-vs-fully-managed" data-forgefit-partner="acme" data-forgefit-theme="dark" data-forgefit-test>
  <a href="http://fit.test/w/co-managed-vs-fully-managed?partner=acme&amp;test=1&amp;theme=dark">Co-managed IT versus fully managed IT</a>
</div>
<script src="http://fit.test/embed.js" async></script>`
	if !strings.Contains(preview, want) {
		t.Errorf("the preview is not the snippet in test mode:\n%s", preview)
	}
	h := res.Header
	for _, want := range []string{"script-src 'self'", "frame-src 'self'", "frame-ancestors 'self'", "style-src 'self'"} {
		if !strings.Contains(h.Get("Content-Security-Policy"), want) {
			t.Errorf("preview CSP %q lacks %s", h.Get("Content-Security-Policy"), want)
		}
	}
	if h.Get("X-Frame-Options") != "SAMEORIGIN" || !strings.Contains(h.Get("Cache-Control"), "no-store") {
		t.Errorf("preview headers: %v", h)
	}
	res, css := b.do("GET", "/dashboard/embed/preview.css", nil, "")
	if res.StatusCode != 200 || !strings.Contains(css, "[data-forgefit-widget] { min-height: 100vh; }") {
		t.Errorf("preview stylesheet: %d %q", res.StatusCode, css)
	}

	widget := "/w/co-managed-vs-fully-managed?partner=acme&origin=" + url.QueryEscape(testOrigin) + "&path=%2Fdashboard%2Fembed%2Fpreview"
	if res, _ := b.do("GET", widget+"&test=1", nil, ""); !strings.HasSuffix(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'self'") {
		t.Errorf("test-mode widget page for our origin: %d, CSP %q; want it framed by our origin only", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	if res, _ := b.do("GET", widget, nil, ""); res.StatusCode != 403 {
		t.Errorf("widget page for our origin, not in test mode: %d, want 403", res.StatusCode)
	}
	if res, _ := b.do("GET", "/w/co-managed-vs-fully-managed?partner=acme&test=1&origin=https%3A%2F%2Fevil.example", nil, ""); res.StatusCode != 403 {
		t.Errorf("test-mode widget page for another origin: %d, want 403", res.StatusCode)
	}
	if res, _ := b.do("GET", "/w/co-managed-vs-fully-managed?partner=acme&origin="+url.QueryEscape(partnerPage), nil, ""); !strings.HasSuffix(res.Header.Get("Content-Security-Policy"), "frame-ancestors "+partnerPage) {
		t.Errorf("a partner's widget page: CSP %q", res.Header.Get("Content-Security-Policy"))
	}

	testBatch := strings.Replace(batchBody("acme", testOrigin, newEvent("widget_loaded", "")), `{"partner"`, `{"test":true,"partner"`, 1)
	if res, body := e.post(t, post{body: testBatch}); res.StatusCode != 202 {
		t.Errorf("test events from the preview: %d %s", res.StatusCode, body)
	}
	if res, _ := e.post(t, post{body: batchBody("acme", testOrigin, newEvent("widget_loaded", ""))}); res.StatusCode != 403 {
		t.Errorf("counted events claiming our origin as the host page's: %d, want 403", res.StatusCode)
	}
	evs := e.stored(t)
	if len(evs) != 1 || !evs[0].Test {
		t.Errorf("stored %+v, want the one test event", evs)
	}
}
