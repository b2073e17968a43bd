package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// TestDemoPageShowsWidget opens the demo partner page, which frames the
// widget from the server's origin, and checks the comparison is there and
// visible, and that the go-app client took the page over.
func TestDemoPageShowsWidget(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.DemoURL+"/")); err != nil {
		t.Fatal(err)
	}
	w := frame(t, ctx, "/w/co-managed-vs-fully-managed")
	waitTrue(t, w, `document.readyState !== "loading" && !!document.querySelector("table")`, 20*time.Second)

	topics := eval[[]string](t, w, `[...document.querySelectorAll("tbody th[scope=row]")].map(th => th.textContent)`)
	want := []string{"Ownership", "Change control", "Tickets", "Best fit", "Biggest risk"}
	if diff := cmp.Diff(want, topics); diff != "" {
		t.Errorf("topics (-want +got):\n%s", diff)
	}
	models := eval[[]string](t, w, `[...document.querySelectorAll("thead th")].map(th => th.textContent)`)
	if diff := cmp.Diff([]string{"Topic", "Co-managed IT", "Fully managed IT"}, models); diff != "" {
		t.Errorf("column headings (-want +got):\n%s", diff)
	}
	// Visible: laid out with a size, not covered by go-app's loading overlay.
	if h := eval[float64](t, w, `document.querySelector("table").getBoundingClientRect().height`); h < 100 {
		t.Errorf("table height = %v px, want a visible table", h)
	}
	if v := eval[string](t, w, `(() => { const l = document.getElementById("app-wasm-loader"); return l ? getComputedStyle(l).display : "absent" })()`); v != "none" && v != "absent" {
		t.Errorf("go-app loading overlay display = %q, want hidden", v)
	}

	// The wasm client mounted and took over the prerendered page.
	waitTrue(t, w, tookOver, 30*time.Second)
	if n := eval[int](t, w, `document.querySelectorAll("tbody tr").length`); n != 5 {
		t.Errorf("after the client mounted: %d rows, want 5", n)
	}
	sw, err := chromedp.Run(w, chromedp.Evaluate[int](`navigator.serviceWorker.getRegistrations().then(r => r.length)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if sw != 0 {
		t.Errorf("%d service workers registered; we serve our own app.js so that none is", sw)
	}
}
