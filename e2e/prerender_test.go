package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/store"
)

// Issue 14, "Works before the wasm": the prerendered widget page is a
// working app of native forms. These tests hold the wasm back or refuse it
// outright, in the demo partner's page, where the widget is a cross-site
// iframe: every native step is a form post that navigates that iframe to
// the next step's page, so the tests find the iframe again after each one.

const (
	widgetPath = "/w/co-managed-vs-fully-managed"
	// wasmDownload matches the content-hashed wasm URL (/web/app.<hash>.wasm)
	// that app.js fetches and the page preloads.
	wasmDownload = "*/web/*.wasm*"
	// stepOne matches the page a first answer lands on (a 303 to it), not
	// the page the loader framed, whose URL has no step.
	stepOne = "*&s=1&*"
)

// requestGate pauses the browser's requests whose URL matches one of its
// rules, through the Fetch domain of the browser target: unlike a page's
// own Network.setBlockedURLs, it sees the requests of the cross-site
// iframe, whose process is not the partner page's, from its first page on.
type requestGate struct {
	ctx   context.Context
	mu    sync.Mutex
	rules []*gateRule
}

// gateRule is what a requestGate does with the requests matching pattern
// (Fetch's wildcard * for any characters; the rules use no ?): fail them,
// or hold them until released.
type gateRule struct {
	pattern string
	fail    bool

	re     *regexp.Regexp
	open   bool              // released: let the rest through
	held   []fetch.RequestID // paused and not answered yet
	paused int               // requests that matched
}

// gateRequests starts intercepting the requests that rules match, in the
// browser of ctx, for the rest of the test.
func gateRequests(t *testing.T, ctx context.Context, rules ...gateRule) *requestGate {
	t.Helper()
	g := &requestGate{ctx: ctx}
	var patterns []*fetch.RequestPattern
	for _, r := range rules {
		r.re = regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(r.pattern), `\*`, ".*") + "$")
		g.rules = append(g.rules, &r)
		patterns = append(patterns, &fetch.RequestPattern{URLPattern: r.pattern, RequestStage: fetch.RequestStageRequest})
	}
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			g.paused(e)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(ctx, fetch.Enable, fetch.EnableParams{Patterns: patterns}); err != nil {
		t.Fatal(err)
	}
	return g
}

// paused runs on the browser's event loop, which must not wait for a
// command's answer: the answers to the browser go from goroutines. Errors
// are left out: a request whose frame navigated away meanwhile is gone,
// and at the end of a test the browser is.
func (g *requestGate) paused(e *fetch.EventRequestPaused) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, r := range g.rules {
		if !r.re.MatchString(e.Request.URL) {
			continue
		}
		r.paused++
		switch {
		case r.fail:
			go chromedp.CallBrowser(g.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		case r.open:
			go chromedp.CallBrowser(g.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
		default:
			r.held = append(r.held, e.RequestID)
		}
		return
	}
	// The patterns are the rules': nothing else pauses. Should something,
	// it goes on.
	go chromedp.CallBrowser(g.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
}

func (g *requestGate) rule(t *testing.T, pattern string) *gateRule {
	t.Helper()
	for _, r := range g.rules {
		if r.pattern == pattern {
			return r
		}
	}
	t.Fatalf("the gate has no rule for %s", pattern)
	return nil
}

// waitPaused waits until at least n requests matched pattern, for at most
// timeout.
func (g *requestGate) waitPaused(t *testing.T, pattern string, n int, timeout time.Duration) {
	t.Helper()
	r := g.rule(t, pattern)
	deadline := time.Now().Add(timeout)
	for {
		g.mu.Lock()
		got := r.paused
		g.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %d requests matched %s, want %d", timeout, got, pattern, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count returns how many requests matched pattern so far.
func (g *requestGate) count(t *testing.T, pattern string) int {
	t.Helper()
	r := g.rule(t, pattern)
	g.mu.Lock()
	defer g.mu.Unlock()
	return r.paused
}

// release lets the requests held for pattern go on, and the later ones
// through. Those of a page that has gone since are gone too: the browser
// refuses to continue them, which is no error here.
func (g *requestGate) release(t *testing.T, pattern string) {
	t.Helper()
	r := g.rule(t, pattern)
	g.mu.Lock()
	r.open = true
	held := r.held
	r.held = nil
	g.mu.Unlock()
	continued := 0
	for _, id := range held {
		if _, err := chromedp.CallBrowser(g.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}); err == nil {
			continued++
		}
	}
	if continued == 0 {
		t.Fatalf("released %s, but none of the %d requests held was still waiting", pattern, len(held))
	}
}

// widgetAt waits until the widget's iframe shows the page whose URL
// contains urlPart, parsed (frame.js has run), and returns a context
// attached to it. A context attached while the frame was still changing
// pages can be left evaluating in the page before (seen under load): it
// attaches again then, within 30 s in all.
func widgetAt(t *testing.T, ctx context.Context, urlPart string) context.Context {
	t.Helper()
	cond := `location.href.includes(` + jsString(urlPart) + `) && document.documentElement.dataset.forgefitReady === "true"`
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := frame(t, ctx, urlPart)
		for attached := time.Now(); time.Since(attached) < 3*time.Second; time.Sleep(50 * time.Millisecond) {
			if ok, err := chromedp.Run(w, chromedp.Evaluate[bool](cond)); err == nil && ok {
				return w
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the widget's frame did not show its page at %s within 30s: %s is false there, at %s", urlPart, cond,
				eval[string](t, w, `location.href`))
		}
	}
}

// stepPage is the URL part of the page a native answer to question i
// (from 0) lands on.
func stepPage(i int) string { return "&s=" + strconv.Itoa(i+1) + "&" }

// checkAxeHere loads axe-core into the document of ctx (every native step
// is a new document) and checks selector there.
func checkAxeHere(t *testing.T, ctx context.Context, axe []byte, what, selector string) {
	t.Helper()
	if !eval[bool](t, ctx, `typeof axe !== "undefined"`) {
		eval[bool](t, ctx, string(axe)+";true")
	}
	checkAxe(t, ctx, what, selector)
}

func readAxe(t *testing.T) []byte {
	t.Helper()
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): `make test` installs it (make deps)", err)
	}
	return axe
}

// chooseByKeyboard checks the option at position choice of the question
// on screen with the keyboard, from its heading or its options: Tab into
// the radio group (its first option, none chosen yet), then Space for the
// first option or the arrow keys, which move and check.
func chooseByKeyboard(t *testing.T, ctx, w context.Context, choice int) {
	t.Helper()
	if !eval[bool](t, w, `document.activeElement.name === "option"`) {
		tabUntil(t, ctx, w, `document.activeElement.name === "option"`, 3)
	}
	if choice == 0 {
		key(t, ctx, " ")
	}
	for range choice {
		key(t, ctx, kb.ArrowDown)
	}
	waitTrue(t, w, `document.activeElement.checked && [...document.querySelectorAll("input[name=option]")].findIndex(r => r.checked) === `+itoa(choice), 3*time.Second)
}

// shiftTabUntil presses Shift+Tab in page until cond holds in frame, at
// most n times.
func shiftTabUntil(t *testing.T, page, frame context.Context, cond string, n int) {
	t.Helper()
	for range n {
		if err := chromedp.Do(page, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))); err != nil {
			t.Fatal(err)
		}
		if ok, err := chromedp.Run(frame, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return
		}
	}
	t.Fatalf("%s still false after %d Shift+Tabs; focus is on %s", cond, n,
		eval[string](t, frame, `document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`))
}

// fullyManagedAnswers reads the fit questions from the page's content and
// returns the question_answered events that answering them as
// fullyManaged says stores, as storedAnswers lists them.
func fullyManagedAnswers(t *testing.T, w context.Context) []string {
	t.Helper()
	qs := eval[[][]string](t, w, `JSON.parse(document.getElementById("forgefit-content").textContent).fit.questions.map(q => [q.id, ...q.options.map(o => o.id)])`)
	if len(qs) != len(fullyManaged) {
		t.Fatalf("%d questions, the test knows answers for %d", len(qs), len(fullyManaged))
	}
	var want []string
	for i, q := range qs {
		want = append(want, fmt.Sprintf("%d:%s:%s", i, q[0], q[1+fullyManaged[i]]))
	}
	return want
}

// storedAnswers lists the question_answered events of evs as
// "index:question:option", by index.
func storedAnswers(evs []store.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == event.QuestionAnswered && e.Data.Index != nil {
			out = append(out, fmt.Sprintf("%d:%s:%s", *e.Data.Index, e.Data.Question, e.Data.Option))
		}
	}
	slices.Sort(out)
	return out
}

// countTypes returns how many events of each type evs holds.
func countTypes(evs []store.Event) map[event.Type]int {
	n := map[event.Type]int{}
	for _, e := range evs {
		n[e.Type]++
	}
	return n
}

// ofView keeps the events of view.
func ofView(evs []store.Event, view string) []store.Event {
	var out []store.Event
	for _, e := range evs {
		if e.View == view {
			out = append(out, e)
		}
	}
	return out
}

// answeredIndexes lists the indexes of the question_answered events.
func answeredIndexes(evs []store.Event) []int {
	var out []int
	for _, e := range evs {
		if e.Type == event.QuestionAnswered && e.Data.Index != nil {
			out = append(out, *e.Data.Index)
		}
	}
	slices.Sort(out)
	return out
}

// checkDerivedIDs checks each event's id is the one its view and step
// derive (event.DerivedID), in round 0: what makes the server's and the
// wasm's records of a step the same event.
func checkDerivedIDs(t *testing.T, evs []store.Event, view string) {
	t.Helper()
	for _, e := range evs {
		n := 0
		if e.Type == event.QuestionAnswered && e.Data.Index != nil {
			n = *e.Data.Index
		}
		if want := event.DerivedID(view, e.Type, n); e.ID != want {
			t.Errorf("%s stored with id %s, want %s (derived from view %s)", e.Type, e.ID, want, view)
		}
	}
}

// metric reads one of the server's Prometheus counters.
func metric(t *testing.T, p *product, name string) float64 {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.Admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s\n%s", res.Status, body.String())
	}
	for _, line := range strings.Split(body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s in /metrics", name)
	return 0
}

// TestWorksWithoutTheWasm refuses the wasm download and goes through the
// whole widget in the demo partner's page with the keyboard alone, on the
// server-rendered pages: the seven questions, the result, the worksheet
// and the call to action. Each step is stored once, as the wasm would have
// recorded it.
func TestWorksWithoutTheWasm(t *testing.T) {
	axe := readAxe(t)
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900, asVisitor...)
	gate := gateRequests(t, ctx, gateRule{pattern: wasmDownload, fail: true})
	// The partner page's host events, from its first script on.
	hostEvents := `window.__host = [];
		for (const type of ["ready", "answer", "result", "cta", "error"]) {
			document.addEventListener("forgefit:" + type, (e) => __host.push(type));
		}`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hostEvents}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(p.DemoURL+"/")); err != nil {
		t.Fatal(err)
	}
	w := widgetAt(t, ctx, widgetPath)
	// The page asked for its wasm and app.js saw it fail: from here on
	// only the forms work.
	waitTrue(t, w, `document.documentElement.dataset.forgefitWasmError === "true"`, 10*time.Second)
	if n := gate.count(t, wasmDownload); n == 0 {
		t.Fatal("the widget page never asked for its wasm")
	}
	noWasm := func(w context.Context, where string) {
		t.Helper()
		if eval[bool](t, w, `document.documentElement.hasAttribute("data-forgefit-wasm")`) {
			t.Fatalf("%s: data-forgefit-wasm is set, yet the wasm was refused", where)
		}
	}
	view := eval[string](t, w, `document.querySelector("#ff-quiz input[name=v]").value`)
	if !event.ValidUUIDv7(view) {
		t.Fatalf("the first question's form carries view id %q, want a UUIDv7", view)
	}
	answers := fullyManagedAnswers(t, w)

	// From the partner's page, Tab into the widget: the first question's
	// options come first.
	tabUntil(t, ctx, w, `document.hasFocus() && document.activeElement.name === "option"`, 60)
	for i, choice := range fullyManaged {
		if i > 0 {
			w = widgetAt(t, ctx, stepPage(i-1))
			// frame.js moved the focus to the question the post landed on.
			waitTrue(t, w, `document.hasFocus() && document.activeElement.id === "ff-q-heading"`, 5*time.Second)
		}
		where := fmt.Sprintf("question %d", i+1)
		noWasm(w, where)
		if got, want := eval[string](t, w, `document.getElementById("ff-progress-label").textContent`), fmt.Sprintf("Question %d of %d", i+1, len(answers)); got != want {
			t.Errorf("%s: progress %q, want %q", where, got, want)
		}
		if got := eval[string](t, w, `document.querySelector("#ff-quiz input[name=v]").value`); got != view {
			t.Errorf("%s: the form carries view %s, want %s", where, got, view)
		}
		if i == 0 || i == 3 {
			checkAxeHere(t, w, axe, where+" without the wasm", "main")
		}
		chooseByKeyboard(t, ctx, w, choice)
		// Enter in a radio submits the form with its default button, the
		// first: Next.
		key(t, ctx, kb.Enter)
	}

	w = widgetAt(t, ctx, stepPage(len(answers)-1))
	waitTrue(t, w, `document.hasFocus() && document.activeElement.id === "ff-result-heading"`, 5*time.Second)
	noWasm(w, "the result")
	if h := eval[string](t, w, `document.activeElement.textContent`); !strings.Contains(h, "Fully managed IT") {
		t.Errorf("result heading %q, want the fully managed result", h)
	}
	checkAxeHere(t, w, axe, "the result without the wasm", "main")

	// The worksheet: opened if the page folds it away (its summary, Enter),
	// patching to the MSP (typing a letter picks the option that starts
	// with it), then "Check the worksheet".
	if eval[bool](t, w, `!!document.getElementById("ff-ws-patching").closest("details:not([open])")`) {
		tabUntil(t, ctx, w, `document.activeElement.matches("details:not([open]) > summary") && document.activeElement.parentElement.contains(document.getElementById("ff-ws-patching"))`, 30)
		key(t, ctx, kb.Enter)
		waitTrue(t, w, `!document.getElementById("ff-ws-patching").closest("details:not([open])")`, 3*time.Second)
	}
	tabUntil(t, ctx, w, `document.activeElement.id === "ff-ws-patching"`, 30)
	key(t, ctx, "m")
	waitTrue(t, w, `document.getElementById("ff-ws-patching").value === "msp"`, 3*time.Second)
	tabUntil(t, ctx, w, `document.activeElement.name === "do" && document.activeElement.value === "worksheet"`, 20)
	key(t, ctx, kb.Enter)
	w = widgetAt(t, ctx, "&w=m")
	waitTrue(t, w, `document.hasFocus() && document.activeElement.id === "ff-ws-heading"`, 5*time.Second)
	noWasm(w, "the worksheet")
	if v := eval[string](t, w, `document.getElementById("ff-ws-patching").value`); v != "msp" {
		t.Errorf("patching's owner after the worksheet was posted: %q, want msp", v)
	}
	if !eval[bool](t, w, `!!document.querySelector(".ff-result")`) {
		t.Error("the worksheet's page lost the result")
	}
	checkAxeHere(t, w, axe, "the worksheet after a native post", "main")

	// The call to action of the result, back up from the worksheet: it
	// opens a new tab through our server, which records the click.
	shiftTabUntil(t, ctx, w, `document.activeElement.matches(".ff-result .ff-cta a")`, 30)
	if target := eval[string](t, w, `document.activeElement.target`); target != "_blank" {
		t.Errorf("the call to action opens in %q, want _blank", target)
	}
	key(t, ctx, kb.Enter)
	evs := waitForEvents(t, p.DB, 10*time.Second, func(evs []store.Event) bool {
		return slices.Contains(types(evs), event.CTAClicked)
	})
	noWasm(w, "after the call to action")
	// The partner page heard what the wasm would have told it: ready once,
	// each answer, the result and the call to action, and no error (the
	// widget works without its wasm).
	waitTrue(t, ctx, `__host.includes("cta")`, 5*time.Second)
	wantHost := []string{"ready", "answer", "answer", "answer", "answer", "answer", "answer", "answer", "result", "cta"}
	if diff := cmp.Diff(wantHost, eval[[]string](t, ctx, `__host`)); diff != "" {
		t.Errorf("host events on the partner page (-want +got):\n%s", diff)
	}

	want := map[event.Type]int{
		event.WidgetLoaded: 1, event.WidgetViewed: 1, event.QuizStarted: 1, event.QuestionAnswered: len(answers),
		event.QuizCompleted: 1, event.RecommendationShown: 1, event.WorksheetCompleted: 1, event.CTAClicked: 1,
	}
	if diff := cmp.Diff(want, countTypes(evs)); diff != "" {
		t.Errorf("events stored (-want +got):\n%s", diff)
	}
	for _, e := range evs {
		if e.View != view || e.Partner != "demo" || e.Widget != "co-managed-vs-fully-managed" || e.Page.Origin != p.DemoURL || e.Page.Path != "/" {
			t.Errorf("%s stored with view %s partner %q widget %q page %q %q; want view %s, the demo page %s /",
				e.Type, e.View, e.Partner, e.Widget, e.Page.Origin, e.Page.Path, view, p.DemoURL)
		}
		if e.Bot || e.Test {
			t.Errorf("%s stored as bot %v, test %v", e.Type, e.Bot, e.Test)
		}
		switch e.Type {
		case event.QuizCompleted, event.RecommendationShown:
			if e.Data.Outcome != event.FullyManaged || e.Data.Margin == nil {
				t.Errorf("%s stored with outcome %q margin %v", e.Type, e.Data.Outcome, e.Data.Margin)
			}
		case event.WorksheetCompleted:
			if slices.Contains(e.Data.Undecided, "patching") || !slices.Contains(e.Data.Undecided, "backup-validation") || len(e.Data.Shared) != 0 {
				t.Errorf("worksheet_completed stored with shared %v, undecided %v; want patching decided, the others undecided", e.Data.Shared, e.Data.Undecided)
			}
		case event.CTAClicked:
			if e.Data.CTA != "contact" || e.Data.Outcome != event.FullyManaged {
				t.Errorf("cta_clicked stored with cta %q outcome %q, want contact, fully-managed", e.Data.CTA, e.Data.Outcome)
			}
		}
	}
	if diff := cmp.Diff(answers, storedAnswers(evs)); diff != "" {
		t.Errorf("question_answered events stored (-want +got):\n%s", diff)
	}
	checkDerivedIDs(t, evs, view)
}

// TestWasmTakesOverWhereTheVisitorIs holds the wasm back while the visitor
// answers two questions natively and chooses an answer to the third, then
// lets it through: the wasm takes over with nothing on screen changing,
// the focus and the choice kept, and finishes the quiz in place. Every step
// is stored once, whichever of the server and the wasm recorded it.
func TestWasmTakesOverWhereTheVisitorIs(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900, asVisitor...)
	gate := gateRequests(t, ctx, gateRule{pattern: wasmDownload})
	if err := chromedp.Do(ctx, chromedp.Navigate(p.DemoURL+"/")); err != nil {
		t.Fatal(err)
	}
	w := widgetAt(t, ctx, widgetPath)
	view := eval[string](t, w, `document.querySelector("#ff-quiz input[name=v]").value`)
	answers := fullyManagedAnswers(t, w)

	tabUntil(t, ctx, w, `document.hasFocus() && document.activeElement.name === "option"`, 60)
	for i := range 2 {
		if i > 0 {
			w = widgetAt(t, ctx, stepPage(i-1))
			waitTrue(t, w, `document.hasFocus() && document.activeElement.id === "ff-q-heading"`, 5*time.Second)
		}
		chooseByKeyboard(t, ctx, w, fullyManaged[i])
		key(t, ctx, kb.Enter)
	}
	w = widgetAt(t, ctx, stepPage(1))
	waitTrue(t, w, `document.hasFocus() && document.activeElement.id === "ff-q-heading"`, 5*time.Second)
	chooseByKeyboard(t, ctx, w, fullyManaged[2])
	// Every page asked for the wasm, and none got it.
	gate.waitPaused(t, wasmDownload, 3, 10*time.Second)
	if eval[bool](t, w, `document.documentElement.hasAttribute("data-forgefit-wasm")`) {
		t.Fatal("the wasm took over while the test held it back")
	}
	href := eval[string](t, w, `location.href`)
	// The native steps are stored already (before the 303s).
	native := storedEvents(t, p.DB)
	if diff := cmp.Diff(map[event.Type]int{
		event.WidgetLoaded: 1, event.WidgetViewed: 1, event.QuizStarted: 1, event.QuestionAnswered: 2,
	}, countTypes(native)); diff != "" {
		t.Errorf("events stored by the two native answers (-want +got):\n%s", diff)
	}

	// Layout shifts in the widget, from now on: the measure sees one (the
	// title moved down and back through the CSSOM, which leaves the page's
	// height alone), so its silence at the takeover means something.
	eval[bool](t, w, `window.__takeoverShifts = [];
		window.__takeoverShiftObserver = new PerformanceObserver((l) => l.getEntries().forEach((e) =>
			__takeoverShifts.push({value: e.value, start: e.startTime, input: e.hadRecentInput})));
		__takeoverShiftObserver.observe({type: "layout-shift", buffered: true});
		Object.assign(document.querySelector("h1").style, {position: "relative", top: "40px"});
		true`)
	settle(t, w)
	eval[bool](t, w, `Object.assign(document.querySelector("h1").style, {position: "", top: ""}), true`)
	settle(t, w)
	if !eval[bool](t, w, `__takeoverShiftObserver.takeRecords().forEach((e) =>
		__takeoverShifts.push({value: e.value, start: e.startTime, input: e.hadRecentInput})),
		__takeoverShifts.some((s) => s.value > 0)`) {
		t.Fatal("the layout-shift measure in the widget saw nothing when its title moved")
	}

	// What the visitor sees, before and after the takeover.
	const screen = `JSON.stringify({
		text: document.querySelector("main").innerText,
		checked: document.querySelector("input[name=option]:checked")?.id,
		progress: document.getElementById("ff-progress-label")?.textContent,
		focus: document.activeElement.id,
		hasFocus: document.hasFocus(),
		main: document.querySelector("main").getBoundingClientRect().toJSON(),
		radio: document.activeElement.getBoundingClientRect().toJSON(),
	})`
	const host = `JSON.stringify({iframe: document.querySelector("iframe").getBoundingClientRect().toJSON(), scrollY})`
	before, hostBefore, shotBefore := eval[string](t, w, screen), eval[string](t, ctx, host), frameShot(t, ctx)
	scrollBefore := eval[float64](t, ctx, `scrollY`)
	// The calls that move the focus or scroll, to tell why something
	// moved; a mark that tells a navigation (a new document) from an
	// update in place; and when the wasm was let through.
	eval[bool](t, w, `window.__takeoverCalls = [];
		for (const name of ["focus", "scrollIntoView"]) {
			const f = Element.prototype[name] || HTMLElement.prototype[name];
			HTMLElement.prototype[name] = function (...args) {
				__takeoverCalls.push(name + "(" + args.map((a) => JSON.stringify(a)).join(", ") + ") on " + this.tagName.toLowerCase() + (this.id ? "#" + this.id : ""));
				return f.apply(this, args);
			};
		}
		window.__sameDocument = true;
		window.__released = performance.now();
		true`)

	gate.release(t, wasmDownload)
	waitTrue(t, w, `document.documentElement.dataset.forgefitWasm === "true" && performance.getEntriesByName("forgefit:takeover").length === 1`, 30*time.Second)
	// Two animation frames on, what the takeover rendered is on screen.
	settle(t, w)

	if diff := cmp.Diff(before, eval[string](t, w, screen)); diff != "" {
		t.Errorf("the widget changed at the takeover (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(hostBefore, eval[string](t, ctx, host)); diff != "" {
		t.Errorf("the partner's page scrolled, or the iframe moved or resized, at the takeover (-before +after):\n%s\nThe widget called, meanwhile: %s",
			diff, eval[string](t, w, `__takeoverCalls.join("; ")`))
		// Back where the visitor was, to tell what the widget shows
		// from where it is.
		eval[bool](t, ctx, fmt.Sprintf(`scrollTo(0, %v), true`, scrollBefore))
		settle(t, ctx)
		settle(t, w)
	}
	shotAfter := frameShot(t, ctx)
	if diff := imageDiff(shotBefore, shotAfter); diff != "" {
		t.Errorf("the widget looks different after the takeover (at the same scroll position): %s; screenshots: %s",
			diff, strings.Join([]string{savePNG(t, "takeover-before", shotBefore), savePNG(t, "takeover-after", shotAfter)}, ", "))
	}
	// Shifts after the release count whether or not they follow input:
	// the keys pressed just before did not move anything.
	shifts := eval[string](t, w, `__takeoverShiftObserver.takeRecords().forEach((e) =>
		__takeoverShifts.push({value: e.value, start: e.startTime, input: e.hadRecentInput})),
		JSON.stringify(__takeoverShifts.filter((s) => s.start >= __released))`)
	if shifts != "[]" {
		t.Errorf("layout shifts in the widget at the takeover: %s", shifts)
	}

	// The wasm answers the rest in place: Enter in the chosen option, as
	// before, but no page is loaded.
	for i := 2; i < len(answers); i++ {
		if i > 2 {
			waitTrue(t, w, `document.hasFocus() && document.activeElement.id === "ff-q-heading"`, 5*time.Second)
			if got, want := eval[string](t, w, `document.getElementById("ff-progress-label").textContent`), fmt.Sprintf("Question %d of %d", i+1, len(answers)); got != want {
				t.Errorf("progress %q, want %q", got, want)
			}
			chooseByKeyboard(t, ctx, w, fullyManaged[i])
		}
		key(t, ctx, kb.Enter)
	}
	waitTrue(t, w, `document.hasFocus() && document.activeElement.id === "ff-result-heading"`, 5*time.Second)
	if h := eval[string](t, w, `document.activeElement.textContent`); !strings.Contains(h, "Fully managed IT") {
		t.Errorf("result heading %q, want the fully managed result", h)
	}
	if got := eval[string](t, w, `location.href`); got != href || !eval[bool](t, w, `window.__sameDocument === true`) {
		t.Errorf("the iframe navigated after the takeover: %s, was %s (same document: %v)", got, href, eval[bool](t, w, `window.__sameDocument === true`))
	}

	complete := func(evs []store.Event) bool {
		evs = ofView(evs, view)
		return len(answeredIndexes(evs)) >= len(answers) && slices.Contains(types(evs), event.RecommendationShown)
	}
	waitForEvents(t, p.DB, 15*time.Second, complete)
	// Leaving the page hands whatever the widget still holds to a beacon.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	evs := waitForEvents(t, p.DB, 5*time.Second, complete)
	if diff := cmp.Diff(map[event.Type]int{
		event.WidgetLoaded: 1, event.WidgetViewed: 1, event.QuizStarted: 1, event.QuestionAnswered: len(answers),
		event.QuizCompleted: 1, event.RecommendationShown: 1,
	}, countTypes(evs)); diff != "" {
		t.Errorf("events stored (-want +got):\n%s", diff)
	}
	// Two answers the server recorded, five the wasm did: each once.
	if diff := cmp.Diff(answers, storedAnswers(evs)); diff != "" {
		t.Errorf("question_answered events stored (-want +got):\n%s", diff)
	}
	for _, e := range evs {
		if e.View != view || e.Page.Origin != p.DemoURL {
			t.Errorf("%s stored with view %s, page origin %q; want %s, %s", e.Type, e.View, e.Page.Origin, view, p.DemoURL)
		}
		if (e.Type == event.QuizCompleted || e.Type == event.RecommendationShown) && e.Data.Outcome != event.FullyManaged {
			t.Errorf("%s stored with outcome %q, want fully-managed", e.Type, e.Data.Outcome)
		}
	}
	checkDerivedIDs(t, evs, view)
	// The wasm recorded again what the server had (widget_loaded at
	// least): the store took those as duplicates.
	if d := metric(t, p, "forgefit_events_duplicate_total"); d == 0 {
		t.Error("no duplicate events received: the wasm did not record the view's start again, so the dedup went untested")
	}
}

// settle waits until the document of ctx has rendered two animation
// frames: what changed before has been painted.
func settle(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[bool](t, ctx, `window.__settled = false, requestAnimationFrame(() => requestAnimationFrame(() => window.__settled = true)), true`)
	waitTrue(t, ctx, `window.__settled`, 10*time.Second)
}

// frameShot captures what the widget's iframe shows on screen: the part of
// the partner page's viewport it covers. (A cross-site iframe is not a
// top-level target, the only kind that can be captured.)
func frameShot(t *testing.T, ctx context.Context) image.Image {
	t.Helper()
	r := eval[[]float64](t, ctx, `(() => {
		const r = document.querySelector("iframe").getBoundingClientRect();
		const x = Math.max(0, r.left), y = Math.max(0, r.top);
		return [x + scrollX, y + scrollY, Math.min(r.right, innerWidth) - x, Math.min(r.bottom, innerHeight) - y] })()`)
	if r[2] <= 0 || r[3] <= 0 {
		t.Fatalf("the iframe is not on screen: %v", r)
	}
	shot, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng,
		Clip:   &page.Viewport{X: r[0], Y: r[1], Width: r[2], Height: r[3], Scale: 1},
	})
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot.Data))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// savePNG writes img to the suite's screenshot folder and returns its
// path.
func savePNG(t *testing.T, name string, img image.Image) string {
	t.Helper()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(screenshotDir, name+".png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	return abs
}

// pixelTolerance is how far apart (of 255) two pixels' channels may be
// and still count as the same: the same layout rasterized again can
// anti-alias a rounded border's edge one step differently (seen: 19 pixels
// on the options' right edges, 1 step apart), which no visitor sees; any
// change in layout, text, colour or focus ring is far above it.
const pixelTolerance = 4

// imageDiff describes how b differs from a, pixel by pixel, beyond
// pixelTolerance: "" when it does not.
func imageDiff(a, b image.Image) string {
	if a.Bounds() != b.Bounds() {
		return fmt.Sprintf("size %v, was %v", b.Bounds(), a.Bounds())
	}
	differ, worst := 0, 0
	var box image.Rectangle
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			c1, c2 := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA), color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
			d := max(absDiff(c1.R, c2.R), absDiff(c1.G, c2.G), absDiff(c1.B, c2.B), absDiff(c1.A, c2.A))
			worst = max(worst, d)
			if d > pixelTolerance {
				differ++
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if differ == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d pixels differ by more than %d (at most %d), within %v", differ, a.Bounds().Dx()*a.Bounds().Dy(), pixelTolerance, worst, box)
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestDoubleSubmitStoresOnce sends the first question's form, without the
// wasm, twice before the next page has arrived, and once more after going
// Back to it: the server receives the step three times and stores it once.
func TestDoubleSubmitStoresOnce(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900, asVisitor...)
	// The first answer's page (the 303's target) is held, so the page the
	// form was sent from stays on screen, as on a slow network.
	gate := gateRequests(t, ctx, gateRule{pattern: wasmDownload, fail: true}, gateRule{pattern: stepOne})
	w, view := firstQuestionWithoutWasm(t, ctx, p)
	received := func(when string, wantBatches, wantDuplicates float64) {
		t.Helper()
		n, d := metric(t, p, "forgefit_batch_events_count"), metric(t, p, "forgefit_events_duplicate_total")
		if n != wantBatches || d != wantDuplicates {
			t.Errorf("%s the server recorded %v batches with %v duplicate events; want %v and %v (each batch: widget_loaded, widget_viewed, quiz_started, question_answered)",
				when, n, d, wantBatches, wantDuplicates)
		}
	}

	chooseByKeyboard(t, ctx, w, 2)
	// Enter, and Enter again once the server has recorded the answer and
	// sent the browser on to the next page, which has not arrived. (The
	// keys go through the partner's page: the frame's own DevTools session
	// answers nothing while its navigation is pending.)
	key(t, ctx, kb.Enter)
	gate.waitPaused(t, stepOne, 1, 10*time.Second)
	key(t, ctx, kb.Enter)
	gate.waitPaused(t, stepOne, 2, 10*time.Second)
	received("after a double submit", 2, 4)
	gate.release(t, stepOne)
	w = widgetAt(t, ctx, "&s=1&")
	firstAnswerStoredOnce(t, p, view, "a double submit")

	// Back to the first question, and the same answer again.
	eval[bool](t, w, `history.back(), true`)
	// The loader's URL for the widget, which only the first page has.
	w = widgetAt(t, ctx, "?widget=")
	if got := eval[string](t, w, `document.querySelector("#ff-quiz input[name=v]").value`); got != view {
		nav := eval[string](t, w, `(({type, responseStatus, transferSize}) => type + ", status " + responseStatus + ", " + transferSize + " bytes transferred")(performance.getEntriesByType("navigation")[0])`)
		t.Errorf("after Back the first question's form carries view %s, was %s (the page came %s)", got, view, nav)
	}
	eval[bool](t, w, `(() => {
		const f = document.getElementById("ff-quiz");
		f.querySelector("input[name=option][value=nobody]").checked = true;
		f.requestSubmit(f.querySelector("button[name=do][value=next]"));
		return true })()`)
	widgetAt(t, ctx, "&s=1&")
	received("after a resubmit from Back", 3, 8)
	firstAnswerStoredOnce(t, p, view, "Back and the same answer again")
}

// firstQuestionWithoutWasm opens the demo partner's page with the wasm
// refused and Tabs into the widget's first question. It returns the
// widget's frame and its view id.
func firstQuestionWithoutWasm(t *testing.T, ctx context.Context, p *product) (context.Context, string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(p.DemoURL+"/")); err != nil {
		t.Fatal(err)
	}
	w := widgetAt(t, ctx, widgetPath)
	waitTrue(t, w, `document.documentElement.dataset.forgefitWasmError === "true"`, 10*time.Second)
	if n, d := metric(t, p, "forgefit_batch_events_count"), metric(t, p, "forgefit_events_duplicate_total"); n != 0 || d != 0 {
		t.Fatalf("before any answer the server recorded %v batches, %v duplicates", n, d)
	}
	tabUntil(t, ctx, w, `document.hasFocus() && document.activeElement.name === "option"`, 60)
	return w, eval[string](t, w, `document.querySelector("#ff-quiz input[name=v]").value`)
}

// firstAnswerStoredOnce checks the store holds the first answer of view,
// and what comes with it, once, after what the test did.
func firstAnswerStoredOnce(t *testing.T, p *product, view, after string) {
	t.Helper()
	evs := storedEvents(t, p.DB)
	if diff := cmp.Diff(map[event.Type]int{
		event.WidgetLoaded: 1, event.WidgetViewed: 1, event.QuizStarted: 1, event.QuestionAnswered: 1,
	}, countTypes(evs)); diff != "" {
		t.Errorf("events stored after %s (-want +got):\n%s", after, diff)
	}
	if diff := cmp.Diff([]int{0}, answeredIndexes(evs)); diff != "" {
		t.Errorf("question_answered indexes after %s (-want +got):\n%s", after, diff)
	}
	for _, e := range evs {
		if e.View != view {
			t.Errorf("after %s: %s stored with view %s, want %s", after, e.Type, e.View, view)
		}
	}
	checkDerivedIDs(t, evs, view)
}
