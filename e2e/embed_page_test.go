package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ehforge/forgefit/store"
)

// TestEmbedPageSnippetMountsOnAPartnerPage signs in to the dashboard as
// the admin, picks options on the Embed page with the keyboard, checks the
// page with axe at 1280 and 375 px and its live preview (the real widget,
// in test mode, stored as test traffic only); then pastes the snippet, the
// rule and the CSP lines it shows into a fresh page of the partner's
// registered origin, which mounts the widget with the options chosen.
func TestEmbedPageSnippetMountsOnAPartnerPage(t *testing.T) {
	// The partner's site: a page made of what the Embed page hands out.
	var mu sync.Mutex
	var body, css, csp string
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Security-Policy", csp)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, body)
		case "/site.css":
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			fmt.Fprint(w, css)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(site.Close)
	file := filepath.Join(t.TempDir(), "partners.json")
	b, _ := json.Marshal(map[string]any{"partners": []map[string]any{
		{"id": "acme", "name": "Acme", "origins": []string{site.URL}},
	}})
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startProduct(t, "-partners", file)

	ctx := newBrowser(t, 1280, 900)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL+"/dashboard"),
		chromedp.SendKeys(chromedp.ID("token"), p.Admin),
		chromedp.Submit(chromedp.ID("token")),
	); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, `!!document.querySelector(".headline")`, 10*time.Second)
	// From the dashboard's link, the Embed page.
	click(t, ctx, `nav.pages a[href="/dashboard/embed"]`)
	waitTrue(t, ctx, `location.pathname === "/dashboard/embed" && !!document.getElementById("snippet")`, 10*time.Second)

	// Keyboard only: Tab reaches every control in order; a select takes
	// its value from the keys typed; Space ticks a box; Enter submits.
	focusByTab(t, ctx, "partner")
	key(t, ctx, "a") // Acme
	focusByTab(t, ctx, "theme")
	key(t, ctx, "d") // Dark
	focusByTab(t, ctx, "view")
	key(t, ctx, "c") // Comparison table first
	focusByTab(t, ctx, "accent")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("#0a7")); err != nil {
		t.Fatal(err)
	}
	focusByTab(t, ctx, "test")
	key(t, ctx, " ")
	focusByTab(t, ctx, "update")
	key(t, ctx, kb.Enter)
	waitTrue(t, ctx, `location.search.includes("theme=dark")`, 10*time.Second)
	waitTrue(t, ctx, `!!document.getElementById("snippet")`, 10*time.Second)
	for _, id := range []string{"reserve", "snippet", "csp"} {
		focusByTab(t, ctx, id)
	}
	snippet := eval[string](t, ctx, `document.getElementById("snippet").value`)
	for _, want := range []string{`data-forgefit-partner="acme"`, `data-forgefit-theme="dark"`, `data-forgefit-view="table"`,
		`data-forgefit-accent="#0a7"`, `data-forgefit-test`, `<script src="` + p.URL + `/embed.js" async></script>`} {
		if !strings.Contains(snippet, want) {
			t.Errorf("the snippet lacks %s:\n%s", want, snippet)
		}
	}
	if origins := eval[string](t, ctx, `document.querySelector("ul.origins").textContent`); origins != site.URL {
		t.Errorf("the registered origins listed: %q, want %q", origins, site.URL)
	}

	// The preview: the snippet running on our origin, the real widget
	// ready inside it, dark as chosen.
	previewWidget := `document.querySelector("iframe.preview").contentDocument?.querySelector("[data-forgefit-widget] iframe")?.contentDocument`
	waitTrue(t, ctx, `(`+previewWidget+`)?.documentElement.dataset.forgefitReady === "true"`, 30*time.Second)
	if !eval[bool](t, ctx, `!!(`+previewWidget+`).querySelector(".ff-theme-dark")`) {
		t.Error("the preview's widget is not dark")
	}
	evs := waitForEvents(t, p.DB, 20*time.Second, func(evs []store.Event) bool {
		for _, e := range evs {
			if e.Page.Origin == p.URL {
				return true
			}
		}
		return false
	})
	for _, e := range evs {
		if !e.Test {
			t.Errorf("the preview stored a counted event: %+v", e)
		}
	}
	auditEmbed(t, ctx, "dashboard-embed")

	// A fresh partner page made of what the page hands out.
	mu.Lock()
	css = eval[string](t, ctx, `document.getElementById("reserve").value`)
	csp = "default-src 'none'; style-src 'self'; base-uri 'none'; " + strings.ReplaceAll(eval[string](t, ctx, `document.getElementById("csp").value`), "\n", " ")
	body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme IT</title><link rel="stylesheet" href="/site.css"></head>
<body><h1>Choosing how your IT is run</h1>
` + snippet + `
<p id="after">More of the article.</p></body></html>`
	mu.Unlock()
	page := open(t, site.URL+"/", 1280, 800)
	waitTrue(t, page, `__events.some(e => e.type === "forgefit:ready")`, 30*time.Second)
	w := frame(t, page, "/w/co-managed-vs-fully-managed")
	waitTrue(t, w, `document.documentElement.dataset.forgefitReady === "true"`, 10*time.Second)
	if !eval[bool](t, w, `!!document.querySelector(".ff-theme-dark")`) {
		t.Error("the pasted snippet's widget is not dark")
	}
	if src := eval[string](t, page, `document.querySelector("[data-forgefit-widget] iframe").src`); !strings.Contains(src, "view=table") || !strings.Contains(src, "test=") {
		t.Errorf("the widget's frame %s does not carry the snippet's options", src)
	}
	if v := eval[[]string](t, page, `window.__violations`); len(v) > 0 {
		t.Errorf("the CSP lines the Embed page gives are not enough: %v", v)
	}
	if room := eval[bool](t, page, `document.querySelector("[data-forgefit-widget]").getBoundingClientRect().height >= innerHeight`); !room {
		t.Error("the rule the Embed page gives did not reserve the widget's room")
	}
}

// focusByTab presses Tab until the element with id has the focus, at most
// 40 times: the Embed page's controls are all reached by the keyboard.
func focusByTab(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	for range 40 {
		if eval[string](t, ctx, `document.activeElement.id`) == id {
			return
		}
		key(t, ctx, kb.Tab)
	}
	t.Fatalf("Tab never reached #%s", id)
}

// auditEmbed checks the page in ctx with axe at 1280 and 375 px, checks it
// does not scroll sideways, and shoots it.
func auditEmbed(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	eval[bool](t, ctx, string(readAxe(t))+";true")
	for _, width := range []int64{1280, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, ctx, fmt.Sprintf("%s at %d px", name, width), "body")
		if over := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			wide := eval[string](t, ctx, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
				.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " (" + Math.round(e.getBoundingClientRect().right) + " px)").join(", ")`)
			t.Errorf("at %d px %s scrolls sideways: %s", width, name, wide)
		}
		shot(t, ctx, fmt.Sprintf("%s-%d", name, width))
	}
}
