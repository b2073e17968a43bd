package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ehforge/forgefit/widget/event"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/store"
)

// screenshotDir is where the suite writes its screenshots (ignored by git).
// A reviewed set is committed one folder up, in e2e/screenshots/: copy the
// ones worth keeping there by hand after looking at them.
const screenshotDir = "screenshots/latest"

// axePath is the axe-core that `make test` installs (see AXE_VERSION in the
// Makefile).
var axePath = filepath.Join("node_modules", "axe-core", "axe.min.js")

// fullyManaged picks, per question, the option (by position) that leads to
// "fully managed": the last option mostly, the first for accountability, so
// that both Space and the arrow keys are exercised.
var fullyManaged = []int{2, 2, 2, 2, 0, 2, 2}

// TestQuizWithKeyboardOnly answers every fit question in the demo partner
// page's iframe with the keyboard alone (Tab, Space, arrow keys, Enter),
// reaches the result, and checks the recommended column is highlighted and
// the loader was told each answer and the result.
func TestQuizWithKeyboardOnly(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900)
	w := openDemoWidget(t, ctx, p)
	// Keep what the widget tells the loader (frame.js would post it to
	// the partner's page).
	eval[bool](t, w, `window.posts = []; window.forgefitPost = (type, detail) => { posts.push({type, ...detail}); }; true`)

	// From the partner's page, Tab into the widget until the first
	// question's first option has the focus: the quiz opens on it.
	tabUntil(t, ctx, w, `document.hasFocus() && document.activeElement.name === "option"`, 80)
	total := eval[int](t, w, `JSON.parse(document.getElementById("forgefit-content").textContent).fit.questions.length`)
	if total != len(fullyManaged) {
		t.Fatalf("%d questions, the test knows answers for %d", total, len(fullyManaged))
	}
	for i := 0; i < total; i++ {
		if i > 0 {
			waitTrue(t, w, `document.activeElement && document.activeElement.id === "ff-q-heading"`, 5*time.Second)
		}
		if got, want := eval[string](t, w, `document.getElementById("ff-progress-label").textContent`), "Question "+itoa(i+1)+" of "+itoa(total); got != want {
			t.Errorf("progress %q, want %q", got, want)
		}
		if i > 0 {
			key(t, ctx, kb.Tab) // into the radio group: its first option, none chosen yet
		}
		if typ := eval[string](t, w, `document.activeElement.type`); typ != "radio" {
			t.Fatalf("question %d: Tab from the heading focused a %q, want the first radio", i+1, typ)
		}
		choice := fullyManaged[i]
		if choice == 0 {
			key(t, ctx, " ")
		}
		for range choice {
			key(t, ctx, kb.ArrowDown) // moves and checks
		}
		waitTrue(t, w, `[...document.querySelectorAll('input[type=radio]')].findIndex(r => r.checked) === `+itoa(choice), 3*time.Second)
		tabUntil(t, ctx, w, `document.activeElement.classList.contains("ff-primary") && !document.activeElement.disabled`, 4)
		key(t, ctx, kb.Enter)
	}
	waitTrue(t, w, `document.activeElement && document.activeElement.id === "ff-result-heading"`, 5*time.Second)
	if h := eval[string](t, w, `document.activeElement.textContent`); !strings.Contains(h, "Fully managed IT") {
		t.Errorf("result heading %q, want the fully managed result", h)
	}
	if got := eval[string](t, w, `document.querySelector("thead th.ff-rec span").textContent`); got != "Fully managed IT" {
		t.Errorf("highlighted column %q, want Fully managed IT", got)
	}
	if n := eval[int](t, w, `document.querySelectorAll("tbody td.ff-rec").length`); n != 5 {
		t.Errorf("%d highlighted cells, want the 5 of the recommended column", n)
	}
	// The call to action goes through our server, which records the click
	// with the outcome on screen and sends the visitor on.
	cta := eval[map[string]string](t, w, `(() => { const a = document.querySelector(".ff-result a.ff-button"); return {href: a.href, target: a.target, rel: a.rel}; })()`)
	if !strings.HasPrefix(cta["href"], p.URL+"/w/co-managed-vs-fully-managed/cta?") || !strings.Contains(cta["href"], "&s=7&") ||
		cta["target"] != "_blank" || cta["rel"] != "noopener" {
		t.Errorf("call to action %v, want our /cta route with the result's visit, in a new tab", cta)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(cta["href"])
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "https://example.com/contact?utm_campaign=demo&utm_medium=partner&utm_source=forgefit" {
		t.Errorf("the call to action answers %d to %q, want 303 to the partner's attributed URL", res.StatusCode, loc)
	}

	var posts []map[string]any
	if err := json.Unmarshal([]byte(eval[string](t, w, `JSON.stringify(posts)`)), &posts); err != nil {
		t.Fatal(err)
	}
	// The quiz's messages, in order; "view" comes whenever the widget has
	// been half visible for a second, so it is left out of the order.
	var msgTypes []string
	var quizPosts []map[string]any
	for _, m := range posts {
		if m["type"] == "view" {
			continue
		}
		quizPosts = append(quizPosts, m)
		msgTypes = append(msgTypes, m["type"].(string))
		if m["type"] == "answer" && m["index"] != float64(len(quizPosts)-1) {
			t.Errorf("answer %d has index %v", len(quizPosts)-1, m["index"])
		}
	}
	want := []string{"answer", "answer", "answer", "answer", "answer", "answer", "answer", "result"}
	if diff := cmp.Diff(want, msgTypes); diff != "" {
		t.Errorf("messages to the loader (-want +got):\n%s", diff)
	}
	if last := quizPosts[len(quizPosts)-1]; last["outcome"] != "fully-managed" {
		t.Errorf("result message %v, want outcome fully-managed", last)
	}

	// The same answers reached the store as events.
	evs := waitForEvents(t, p.DB, 15*time.Second, func(evs []store.Event) bool {
		return slices.Contains(types(evs), event.RecommendationShown) && slices.Contains(types(evs), event.CTAClicked)
	})
	var answered []string
	for _, e := range evs {
		switch e.Type {
		case event.QuestionAnswered:
			answered = append(answered, fmt.Sprintf("%d:%s", *e.Data.Index, e.Data.Question))
		case event.QuizCompleted, event.RecommendationShown:
			if e.Data.Outcome != event.FullyManaged || e.Data.Margin == nil {
				t.Errorf("%s stored with outcome %q margin %v", e.Type, e.Data.Outcome, e.Data.Margin)
			}
		}
	}
	var wantAnswered []string
	for i, q := range eval[[]string](t, w, `JSON.parse(document.getElementById("forgefit-content").textContent).fit.questions.map(q => q.id)`) {
		wantAnswered = append(wantAnswered, fmt.Sprintf("%d:%s", i, q))
	}
	if diff := cmp.Diff(wantAnswered, answered); diff != "" {
		t.Errorf("question_answered events in the store (-want +got):\n%s", diff)
	}
	for _, typ := range []event.Type{event.WidgetLoaded, event.QuizStarted, event.QuizCompleted, event.CTAClicked} {
		if !slices.Contains(types(evs), typ) {
			t.Errorf("no %s event stored", typ)
		}
	}
}

// TestWidgetAccessibilityAndScreenshots runs axe-core on the table, a
// question, the result and the worksheet in the light and dark themes (the
// light one with a pale partner accent, to check text on it stays
// readable), and writes screenshots at 375 and 1280 px.
func TestWidgetAccessibilityAndScreenshots(t *testing.T) {
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): `make test` installs it (make deps)", err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := startProduct(t)
	for _, tc := range []struct {
		name, query string
		width       int
	}{
		{"light-1280", "&theme=light&accent=%23f5c400", 1280},
		{"dark-1280", "&theme=dark", 1280},
		{"light-375", "&theme=light", 375},
		{"dark-375", "&theme=dark&accent=%23c026d3", 375},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newBrowser(t, tc.width, 900)
			url := p.URL + "/w/co-managed-vs-fully-managed?partner=demo" + tc.query
			// A headless window has a minimum width; emulate a phone's.
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(tc.width), 900), chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
			waitTrue(t, ctx, tookOver, 30*time.Second)
			eval[bool](t, ctx, string(axe)+";true")

			if got := eval[int](t, ctx, `window.innerWidth`); got != tc.width {
				t.Errorf("viewport %d px wide, want %d", got, tc.width)
			}
			// axe is wired up and finds things: an unlabelled input fails.
			canary := `axe.run(document.body.appendChild(Object.assign(document.createElement("div"), {innerHTML: "<input>"})), {runOnly: ["label"]}).then(r => r.violations.length)`
			if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](canary, chromedp.EvalAwaitPromise)); err != nil || n != 1 {
				t.Fatalf("axe on an unlabelled input: %d violations, %v; want 1", n, err)
			}
			eval[bool](t, ctx, `document.body.lastElementChild.remove(), true`)
			checkAxe(t, ctx, "the comparison table", "table.ff-comparison")
			shot(t, ctx, tc.name+"-start")

			click(t, ctx, `.ff-option input`) // the first option
			checkAxe(t, ctx, "a question", ".ff-fit")
			shot(t, ctx, tc.name+"-question")
			for i := 0; !eval[bool](t, ctx, `!!document.getElementById("ff-result-heading")`); i++ {
				if i == 10 {
					t.Fatal("no result after 10 questions")
				}
				click(t, ctx, `.ff-option input`)
				heading := eval[string](t, ctx, `document.getElementById("ff-q-heading").textContent`)
				click(t, ctx, `.ff-step .ff-primary`)
				waitTrue(t, ctx, `!document.getElementById("ff-q-heading") || document.getElementById("ff-q-heading").textContent !== `+jsString(heading), 3*time.Second)
			}
			checkAxe(t, ctx, "the result", ".ff-fit")
			checkAxe(t, ctx, "the highlighted table", "table.ff-comparison")

			// Give patching an owner: the worksheet (folded below) flags
			// the critical responsibilities still undecided.
			eval[bool](t, ctx, `(() => { document.getElementById("ff-fold-next").open = true; const s = document.getElementById("ff-ws-patching"); s.value = "msp"; s.dispatchEvent(new Event("change")); return true })()`)
			waitTrue(t, ctx, `document.querySelector(".ff-ws-row.ff-risk label").textContent.includes("Backup validation")`, 5*time.Second)
			checkAxe(t, ctx, "the worksheet", ".ff-worksheet")
			shot(t, ctx, tc.name+"-result")
		})
	}
}

// TestWorksheetCopies copies the worksheet: inside a cross-site iframe the
// clipboard may be refused, so either "Copied" shows or the text is shown,
// selected, to copy by hand.
func TestWorksheetCopies(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900)
	w := openDemoWidget(t, ctx, p)
	eval[bool](t, w, `document.getElementById("ff-fold-next").open = true`)
	click(t, w, `.ff-worksheet button[value=copy]`)
	waitTrue(t, w, `document.querySelector(".ff-copied").textContent === "Copied" || !!document.getElementById("ff-ws-text")`, 5*time.Second)
	if eval[bool](t, w, `!!document.getElementById("ff-ws-text")`) {
		text := eval[string](t, w, `document.getElementById("ff-ws-text").value`)
		if !strings.Contains(text, "Patching: Not decided (!)") {
			t.Errorf("fallback text lacks the flagged patching line:\n%s", text)
		}
	}
}

func checkAxe(t *testing.T, ctx context.Context, what, selector string) {
	t.Helper()
	js := `axe.run(document.querySelector(` + jsString(selector) + `), {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", what, err)
	}
	if out != "[]" {
		t.Errorf("axe violations on %s: %s", what, out)
	}
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// Whichever test shoots first makes the folder (a fresh checkout has none).
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(screenshotDir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	t.Logf("screenshot: %s", abs)
}

func click(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	if !eval[bool](t, ctx, `(() => { const e = document.querySelector(`+jsString(selector)+`); if (!e) return false; e.click(); return true })()`) {
		t.Fatalf("nothing to click at %s", selector)
	}
}

// key sends one key press to the page (to the focused element, in whichever
// frame it is).
func key(t *testing.T, ctx context.Context, k string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
		t.Fatalf("key %q: %v", k, err)
	}
}

// tabUntil presses Tab in page until cond holds in frame, at most n times.
func tabUntil(t *testing.T, page, frame context.Context, cond string, n int) {
	t.Helper()
	for range n {
		key(t, page, kb.Tab)
		if ok, err := chromedp.Run(frame, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return
		}
	}
	t.Fatalf("%s still false after %d Tabs; focus is on %s", cond, n,
		eval[string](t, frame, `document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// TestChoicesBeforeTheClientAreKept makes the wasm slow to arrive, sets a
// worksheet owner and opens an FAQ entry on the prerendered page meanwhile,
// and checks the client keeps both when it takes over (it replaces the
// prerendered page rather than hydrating it).
func TestChoicesBeforeTheClientAreKept(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	slow := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{
		URLPattern: p.URL + "/web/*", Latency: 2000, DownloadThroughput: 400_000, UploadThroughput: -1,
	}}}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, slow); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: p.URL + "/w/co-managed-vs-fully-managed?partner=demo"}); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, `!!document.getElementById("ff-ws-patching") && !!document.getElementById("ff-faq-small-business")`, 10*time.Second)
	eval[bool](t, ctx, `(() => {
		const s = document.getElementById("ff-ws-patching"); s.value = "msp"; s.dispatchEvent(new Event("change", {bubbles: true}));
		document.getElementById("ff-faq-small-business").open = true;
		return true })()`)
	if eval[bool](t, ctx, tookOver) {
		t.Fatal("the client took over before the test could act on the prerendered page; slow the wasm down more")
	}
	waitTrue(t, ctx, tookOver, 60*time.Second)
	if v := eval[string](t, ctx, `document.getElementById("ff-ws-patching").value`); v != "msp" {
		t.Errorf("patching owner after the client took over: %q, want msp", v)
	}
	if eval[bool](t, ctx, `document.getElementById("ff-ws-patching").closest("li").classList.contains("ff-risk")`) {
		t.Error("the client's worksheet does not know patching is owned by the MSP")
	}
	if !eval[bool](t, ctx, `document.getElementById("ff-faq-small-business").open`) {
		t.Error("the FAQ entry opened before the client took over is closed")
	}
}

// TestOneTapAQuestion checks the rule for moving on (see public/frame.js):
// a tap or click on an option moves on at once, a digit key chooses and
// moves on, and the arrow keys only choose.
func TestOneTapAQuestion(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900)
	url := p.URL + "/w/co-managed-vs-fully-managed?partner=demo"
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, tookOver, 30*time.Second)
	progress := `document.getElementById("ff-progress-label").textContent`
	// A real click (pointer events, not element.click()) on the second option.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`label[for="ff-q-internal-it-one-person"]`))); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, progress+` === "Question 2 of 7"`, 5*time.Second)
	// Arrow keys walk the options and stay on the question.
	eval[bool](t, ctx, `document.querySelector("input[name=option]").focus(), true`)
	key(t, ctx, kb.ArrowDown)
	waitTrue(t, ctx, `document.querySelectorAll("input[name=option]")[1].checked`, 3*time.Second)
	if got := eval[string](t, ctx, progress); got != "Question 2 of 7" {
		t.Errorf("an arrow key moved the quiz on to %q", got)
	}
	// A digit answers and moves on.
	key(t, ctx, "3")
	waitTrue(t, ctx, progress+` === "Question 3 of 7"`, 5*time.Second)
	// The answers given: the tapped option, then the third by its digit.
	evs := waitForEvents(t, p.DB, 15*time.Second, func(evs []store.Event) bool {
		return len(answersOf(evs)) == 2
	})
	if diff := cmp.Diff([]string{"0:one-person", "1:no"}, answersOf(evs)); diff != "" {
		t.Errorf("answers stored (-want +got):\n%s", diff)
	}
}

// answersOf lists the question_answered events as "index:option".
func answersOf(evs []store.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == event.QuestionAnswered {
			out = append(out, fmt.Sprintf("%d:%s", *e.Data.Index, e.Data.Option))
		}
	}
	return out
}

// TestQuizFirst checks the layouts a partner can choose with
// data-forgefit-view: by default the widget opens on the fit questions,
// within the first phone screen, with the table below and the rest of the
// article folded; "full" is the whole article, unfolded, in the client's
// order. It logs the widget's height at 375 px.
func TestQuizFirst(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 375, 812)
	for _, tc := range []struct {
		view             string
		order            []string // the main element's first parts
		folds, openFolds int
	}{
		{"", []string{"ff-title", "ff-summary", "ff-fit", "ff-section"}, 6, 0},
		{"table", []string{"ff-title", "ff-summary", "ff-section", "ff-fit"}, 6, 0},
		{"full", []string{"ff-title", "ff-summary", "", "ff-fit"}, 0, 0},
	} {
		url := p.URL + "/w/co-managed-vs-fully-managed?partner=demo&view=" + tc.view
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812), chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		waitTrue(t, ctx, tookOver, 30*time.Second)
		order := eval[[]string](t, ctx, `[...document.querySelector("main").children].slice(0, 4).map(e => e.classList[0] || "")`)
		if diff := cmp.Diff(tc.order, order); diff != "" {
			t.Errorf("view %q: parts (-want +got):\n%s", tc.view, diff)
		}
		folds := eval[[]bool](t, ctx, `[...document.querySelectorAll("details[data-fold]")].map(d => d.open)`)
		open := 0
		for _, o := range folds {
			if o {
				open++
			}
		}
		if len(folds) != tc.folds || open != tc.openFolds {
			t.Errorf("view %q: %d folded parts, %d open; want %d, %d open", tc.view, len(folds), open, tc.folds, tc.openFolds)
		}
		if tc.view == "" {
			if top := eval[float64](t, ctx, `document.getElementById("ff-q-heading").getBoundingClientRect().bottom`); top > 812 {
				t.Errorf("the first question ends at y=%v, below the first 812-px screen", top)
			}
			t.Logf("widget height at 375 px, quiz view: %v px", eval[float64](t, ctx, `document.documentElement.getBoundingClientRect().height`))
			// A folded part opened before a re-render stays open.
			eval[bool](t, ctx, `document.getElementById("ff-fold-pitfalls").open = true`)
			click(t, ctx, `.ff-option input`)
			click(t, ctx, `.ff-step .ff-primary`)
			waitTrue(t, ctx, `document.getElementById("ff-progress-label").textContent === "Question 2 of 7"`, 5*time.Second)
			if !eval[bool](t, ctx, `document.getElementById("ff-fold-pitfalls").open`) {
				t.Error("a folded part the visitor opened closed when the quiz moved on")
			}
		}
	}
}

// TestResultLandsInView answers every question on a phone-sized partner
// page and checks the result's heading is on the visitor's screen when it
// shows: the host page scrolled to it if needed (the widget moves the focus
// to it), not left above or below the viewport.
func TestResultLandsInView(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 375, 812)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812)); err != nil {
		t.Fatal(err)
	}
	w := openDemoWidget(t, ctx, p)
	total := eval[int](t, w, `JSON.parse(document.getElementById("forgefit-content").textContent).fit.questions.length`)
	for i := 0; i < total; i++ {
		progress := "Question " + itoa(i+1) + " of " + itoa(total)
		waitTrue(t, w, `document.getElementById("ff-progress-label").textContent === `+jsString(progress), 5*time.Second)
		eval[bool](t, w, `document.querySelector("input[name=option]").focus(), true`)
		key(t, ctx, "1") // the first option, and on
	}
	waitTrue(t, w, `document.activeElement && document.activeElement.id === "ff-result-heading"`, 5*time.Second)
	// Where the heading is on the partner's screen: the iframe's place in
	// the partner page plus the heading's in the iframe.
	frameTop := eval[float64](t, ctx, `document.querySelector("iframe").getBoundingClientRect().top`)
	headingTop := eval[float64](t, w, `document.getElementById("ff-result-heading").getBoundingClientRect().top`)
	viewport := eval[float64](t, ctx, `innerHeight`)
	if top := frameTop + headingTop; top < 0 || top > viewport-40 {
		t.Errorf("the result's heading is at y=%v on a %v-px screen, out of view", top, viewport)
	}
}

// TestResultLinksToTheWorksheet follows the result's link to the ownership
// worksheet, with the wasm and without it: the worksheet's fold opens and
// the focus lands on its heading, and the frame does not navigate.
func TestResultLinksToTheWorksheet(t *testing.T) {
	p := startProduct(t)
	// A result: nobody does IT, and the rest answered.
	result := p.URL + "/w/co-managed-vs-fully-managed?partner=demo&v=0193c5a2-7b1c-7d2e-8f30-112233445566&s=7&a=nobody.no.hand-over.everything.one-operator.overloaded.unclear"
	for _, withWasm := range []bool{true, false} {
		ctx := newBrowser(t, 1280, 900)
		if !withWasm {
			gateRequests(t, ctx, gateRule{pattern: wasmDownload, fail: true})
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(result)); err != nil {
			t.Fatal(err)
		}
		if withWasm {
			waitTrue(t, ctx, tookOver, 30*time.Second)
		} else {
			waitTrue(t, ctx, `document.documentElement.dataset.forgefitWasmError === "true"`, 10*time.Second)
		}
		before := eval[string](t, ctx, `location.href`)
		if eval[bool](t, ctx, `document.getElementById("ff-fold-next").open`) {
			t.Fatal("the worksheet's fold is open before the link is followed")
		}
		click(t, ctx, `.ff-result .ff-to-worksheet a`)
		waitTrue(t, ctx, `document.activeElement && document.activeElement.id === "ff-ws-heading"`, 5*time.Second)
		if !eval[bool](t, ctx, `document.getElementById("ff-fold-next").open`) {
			t.Errorf("wasm %v: the worksheet's fold is closed after the link", withWasm)
		}
		if after := eval[string](t, ctx, `location.href`); after != before {
			t.Errorf("wasm %v: the link navigated the frame: %s to %s", withWasm, before, after)
		}
	}
}
