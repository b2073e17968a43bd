package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/event"

	"github.com/ehforge/forgefit/store"
)

// TestDashboardShowsWhatABrowserJustDid visits the demo partner page as a
// person would and answers the first question, then signs in to the
// dashboard as the admin and finds that visit in the figures, in the
// content's words; creates a sign-in link for the demo partner, and
// follows it in another browser as the partner's marketer would, on a
// phone. Every page is checked with axe at 1280 and 375 px.
func TestDashboardShowsWhatABrowserJustDid(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900, asVisitor...)
	w := openDemoWidget(t, ctx, p)
	click(t, w, "input[name=option]") // the first option of the first question
	waitTrue(t, w, `!document.querySelector(".ff-primary").disabled`, 5*time.Second)
	click(t, w, ".ff-primary")
	evs := waitForEvents(t, p.DB, 15*time.Second, func(evs []store.Event) bool {
		return slices.Contains(types(evs), event.WidgetViewed) && slices.Contains(types(evs), event.QuestionAnswered)
	})
	for _, e := range evs {
		if e.Bot || e.Test {
			t.Fatalf("the visit was stored as bot=%v test=%v; stats would leave it out", e.Bot, e.Test)
		}
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): `make test` installs it (make deps)", err)
	}
	// audit checks the page in ctx with axe at both widths, checks it
	// does not scroll sideways, and shoots it.
	audit := func(ctx context.Context, name string) {
		t.Helper()
		eval[bool](t, ctx, string(axe)+";true")
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

	// The sign-in page, as a partner's marketer first sees it.
	marketer := newBrowser(t, 375, 800)
	if err := chromedp.Do(marketer, chromedp.Navigate(p.URL+"/dashboard")); err != nil {
		t.Fatal(err)
	}
	if text := eval[string](t, marketer, `document.body.innerText`); strings.Contains(text, "forgefit token") || !strings.Contains(text, "sign-in link") {
		t.Errorf("the sign-in page points to the command line, or not to the sign-in link:\n%s", text)
	}
	audit(marketer, "dashboard-signin")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL+"/dashboard"),
		chromedp.SendKeys(chromedp.ID("token"), p.Admin),
		chromedp.Submit(chromedp.ID("token")),
	); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, `!!document.querySelector(".headline")`, 10*time.Second)
	views := eval[string](t, ctx, `[...document.querySelectorAll(".headline div")].find(d => d.querySelector("dt").textContent === "Views").querySelector("dd").textContent`)
	if n, err := strconv.Atoi(views); err != nil || n < 1 {
		t.Errorf("dashboard shows %q views, want the visit just made", views)
	}
	if !eval[bool](t, ctx, `document.body.textContent.includes("UTC")`) {
		t.Error("the dashboard does not say its days are UTC")
	}
	// Today's row of the chart holds the view, in figures.
	today := time.Now().UTC().Format(time.DateOnly)
	todayViews := eval[string](t, ctx, `(() => { const t = document.querySelector('table.chart time[datetime="`+today+`"]'); return t ? t.closest("tr").querySelector("td.views").textContent : "no row" })()`)
	if n, err := strconv.Atoi(strings.TrimSpace(todayViews)); err != nil || n < 1 {
		t.Errorf("the chart's row for %s shows %q views", today, todayViews)
	}
	// The answer, in the content's words: the question's prompt and the
	// option's label, never their ids.
	chosen := eval[string](t, ctx, `(() => {
		const c = [...document.querySelectorAll("caption")].find(c => c.textContent.startsWith("1. Who looks after IT in your business today?"));
		if (!c) return "no table for question 1";
		const row = [...c.closest("table").querySelectorAll("tbody tr")].find(r => r.querySelector("th").textContent === "An internal IT team or IT lead who knows our environment well");
		return row ? row.querySelector("td").textContent : "no row for the first option";
	})()`)
	if n, err := strconv.Atoi(strings.TrimSpace(chosen)); err != nil || n < 1 {
		t.Errorf("question 1's first option was chosen %q times on the dashboard, want the answer just given", chosen)
	}
	if text := eval[string](t, ctx, `document.querySelector("main").innerText`); strings.Contains(text, "internal-it") || strings.Contains(text, "it-team") {
		t.Error("the dashboard shows question or option ids")
	}
	// The visit was a person's: nothing of it was left out as bot or test
	// traffic, and the page says how much was.
	excluded := eval[string](t, ctx, `document.getElementById("excluded-counts").textContent`)
	if m := regexp.MustCompile(`^(\d+) test events? and (\d+) bot events? were left out of these figures\.$`).FindStringSubmatch(excluded); m == nil {
		t.Errorf("the bot and test traffic section says %q, want how many events of each were left out", excluded)
	} else if m[1] != "0" || m[2] != "0" {
		t.Errorf("the dashboard says %s test and %s bot events were left out of a person's visit", m[1], m[2])
	}
	audit(ctx, "dashboard")

	// The admin creates a sign-in link for the demo partner.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.SetValue(chromedp.ID("share-partner"), server.DemoPartnerID),
		chromedp.SetValue(chromedp.ID("share-days"), "7"),
		chromedp.Submit(chromedp.ID("share-days")),
	); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, `!!document.getElementById("share-link")`, 10*time.Second)
	link := eval[string](t, ctx, `document.getElementById("share-link").value`)
	if !strings.HasPrefix(link, p.URL+"/dashboard?link=") {
		t.Fatalf("the sign-in link %q is not on the dashboard's origin", link)
	}
	audit(ctx, "dashboard-share-link")

	// The marketer opens it on a phone and signs in with one button.
	if err := chromedp.Do(marketer, chromedp.EmulateViewport(375, 800), chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	if h := eval[string](t, marketer, `document.querySelector("h1").textContent`); !strings.Contains(h, "Demo Partner") {
		t.Errorf("the link's page says %q, want the partner's name", h)
	}
	audit(marketer, "dashboard-invite")
	if err := chromedp.Do(marketer, chromedp.EmulateViewport(375, 800), chromedp.Submit(chromedp.CSS(`form.signin button`))); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, marketer, `!!document.querySelector(".headline")`, 10*time.Second)
	if who := eval[string](t, marketer, `document.querySelector(".signout span").textContent`); who != "Signed in: Demo Partner" {
		t.Errorf("signed in by link as %q, want the demo partner", who)
	}
	if eval[bool](t, marketer, `!!document.getElementById("partner") || !!document.getElementById("share-partner")`) {
		t.Error("the partner's marketer is offered other partners or sign-in links")
	}
	audit(marketer, "dashboard-partner")
}
