package e2e

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/event"
)

// TestDashboardShowsWhatABrowserJustDid visits the demo partner page as a
// person would, then signs in to the dashboard and finds that visit in the
// figures.
func TestDashboardShowsWhatABrowserJustDid(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900, asVisitor...)
	openDemoWidget(t, ctx, p)
	evs := waitForEvents(t, p.DB, 15*time.Second, func(evs []server.Event) bool {
		return slices.Contains(types(evs), event.WidgetViewed)
	})
	for _, e := range evs {
		if e.Bot || e.Test {
			t.Fatalf("the visit was stored as bot=%v test=%v; stats would leave it out", e.Bot, e.Test)
		}
	}

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

	// Accessible and readable on a laptop and on a phone.
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): `make test` installs it (make deps)", err)
	}
	eval[bool](t, ctx, string(axe)+";true")
	for _, width := range []int64{1280, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, ctx, fmt.Sprintf("the dashboard at %d px", width), "body")
		if over := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			t.Errorf("at %d px the dashboard scrolls sideways", width)
		}
		shot(t, ctx, fmt.Sprintf("dashboard-%d", width))
	}
}
