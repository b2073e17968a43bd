package widget

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/google/go-cmp/cmp"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// entry is one event recorded or one message posted to the loader.
type entry struct {
	Kind  string // "event" or "message"
	Type  string
	Event event.Data     // an event's data
	Data  map[string]any // a message's detail
	N     int            // an event's n (see event.DerivedID)
}

// observer stands in for the event sender and the loader.
type observer struct{ got []entry }

func (o *observer) Record(h fit.Happened) {
	o.got = append(o.got, entry{Kind: "event", Type: string(h.Type), Event: h.Data, N: h.N})
}

func (o *observer) Post(typ string, detail map[string]any) {
	o.got = append(o.got, entry{Kind: "message", Type: typ, Data: detail})
}

// events returns the recorded events of type typ.
func (o *observer) events(typ event.Type) []event.Data {
	var out []event.Data
	for _, e := range o.got {
		if e.Kind == "event" && e.Type == string(typ) {
			out = append(out, e.Event)
		}
	}
	return out
}

func defaultWidget(t *testing.T) *content.Widget {
	t.Helper()
	lib, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	w, err := lib.Widget("co-managed-vs-fully-managed", "en")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// harness mounts a part of the page (the quiz, the worksheet) in go-app's
// test engine, rendering it as the page does, and gives the test a context
// to act in, as an event handler would get.
type harness struct {
	app.Compo
	ctx    app.Context
	render func() app.UI
}

func (h *harness) OnPreRender(ctx app.Context) { h.ctx = ctx }
func (h *harness) Render() app.UI              { return h.render() }

func mount(t *testing.T, render func() app.UI) (app.TestEngine, *harness) {
	t.Helper()
	e := app.NewTestEngine()
	h := &harness{render: render}
	if err := e.Load(h); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	return e, h
}

// act runs f as go-app runs an event handler, then renders.
func act(e app.TestEngine, h *harness, f func(app.Context)) {
	h.ctx.Dispatch(f)
	e.ConsumeAll()
}

// rendered renders c's current state.
func rendered(c interface{ Render() app.UI }) string { return app.HTMLString(c.Render()) }

// lastOptions answers every question with its last option.
func lastOptions(w *content.Widget) []string {
	var ids []string
	for _, q := range w.Fit.Questions {
		ids = append(ids, q.Options[len(q.Options)-1].ID)
	}
	return ids
}

// testView is a view id, as a first page's prerender makes one.
const testView = "0193c5a2-7b1c-7d2e-8f30-112233445566"

func newVisit() *fit.Visit { return &fit.Visit{View: testView, Owners: fit.Ownership{}} }

func TestQuizRecordsAnswersAndResult(t *testing.T) {
	obs := &observer{}
	w := defaultWidget(t)
	var told []string
	q := &quiz{IWidget: w, IVisit: newVisit(), ICTA: "/w/x/cta", IOnOutcome: func(o string) { told = append(told, o) }, IEvents: obs, ILoader: obs}
	e, h := mount(t, q.Render)
	if html := rendered(q); !strings.Contains(html, "Question 1 of 7") || !hasElement(html, "form", `id="ff-quiz"`, `method="post"`) {
		t.Fatalf("the quiz does not open on the first question's form:\n%s", html)
	}
	act(e, h, func(app.Context) { q.submit(doNext, "bogus") }) // not an option: nothing happens
	if len(obs.got) != 0 || q.IVisit.Step != 0 {
		t.Fatalf("an unknown option moved the quiz: %v, step %d", obs.got, q.IVisit.Step)
	}
	for i, option := range lastOptions(w) {
		act(e, h, func(app.Context) { q.submit(doNext, option) })
		if lean := strings.Contains(rendered(q), "Provisional: based on"); lean != (i+1 >= 3 && i+1 < 7) {
			t.Errorf("after %d answers, a provisional lean shows: %v; want one from 3 answers until the result", i+1, lean)
		}
		if i == 0 {
			if diff := cmp.Diff([]string{"quiz_started", "question_answered", "answer"}, kinds(obs)); diff != "" {
				t.Fatalf("after the first answer (-want +got):\n%s", diff)
			}
			if html := rendered(q); !strings.Contains(html, "Question 2 of 7") {
				t.Fatalf("after the first answer:\n%s", html)
			}
		}
	}

	var want []event.Data
	for i, q := range w.Fit.Questions {
		want = append(want, event.Data{Question: q.ID, Option: q.Options[len(q.Options)-1].ID, Index: &i})
	}
	if diff := cmp.Diff(want, obs.events(event.QuestionAnswered)); diff != "" {
		t.Errorf("question_answered (-want +got):\n%s", diff)
	}
	margin := 1.0 // nobody does IT: co-managed is ruled out
	result := []event.Data{{Outcome: event.FullyManaged, Margin: &margin}}
	if diff := cmp.Diff(result, obs.events(event.QuizCompleted)); diff != "" {
		t.Errorf("quiz_completed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(result, obs.events(event.RecommendationShown)); diff != "" {
		t.Errorf("recommendation_shown (-want +got):\n%s", diff)
	}
	var messages []string
	for _, m := range obs.got {
		if m.Kind == "message" {
			messages = append(messages, m.Type)
		}
	}
	if diff := cmp.Diff([]string{"answer", "answer", "answer", "answer", "answer", "answer", "answer", "result"}, messages); diff != "" {
		t.Errorf("messages to the loader (-want +got):\n%s", diff)
	}
	html := rendered(q)
	for _, must := range []string{
		"Fully managed IT looks like the better fit",                                   // the outcome
		"Without internal IT, co-managed IT has no one to share responsibilities with", // a driver's reason
		"Poorly defined scope", // the pitfall that applies
	} {
		if !strings.Contains(html, must) {
			t.Errorf("result lacks %q:\n%s", must, html)
		}
	}
	for _, must := range [][]string{
		{"a", `href="/w/x/cta"`, `target="_blank"`, `rel="noopener"`},
		{"button", `type="submit"`, `name="do"`, `value="back"`, `formnovalidate`},
		{"button", `type="submit"`, `name="do"`, `value="restart"`, `formnovalidate`},
	} {
		if !hasElement(html, must[0], must[1:]...) {
			t.Errorf("result lacks a %s with %q:\n%s", must[0], must[1:], html)
		}
	}

	act(e, h, func(app.Context) { q.submit(doBack, "") })
	if html := rendered(q); !strings.Contains(html, "Question 7 of 7") || !hasElement(html, "input", `value="`+lastOptions(w)[6]+`"`, "checked") {
		t.Errorf("Back from the result does not show the last question, answered:\n%s", html)
	}
	// Answering again after Back is the same event: stored once.
	before := len(obs.events(event.QuestionAnswered))
	act(e, h, func(app.Context) { q.submit(doNext, w.Fit.Questions[6].Options[0].ID) })
	if got := obs.got[len(obs.got)-5]; got.Type != "question_answered" || got.N != 6 {
		t.Errorf("the answer after Back is %v, want question_answered with n 6 (as the first time)", got)
	}
	if n := len(obs.events(event.QuestionAnswered)); n != before+1 {
		t.Errorf("%d question_answered after answering again, want %d", n, before+1)
	}
	act(e, h, func(app.Context) { q.submit(doRestart, "") })
	restarts := 0
	for _, g := range obs.got {
		if g.Type == "quiz_restarted" {
			restarts++
			if g.N != 1 {
				t.Errorf("quiz_restarted has n %d, want round 1", g.N)
			}
		}
	}
	if restarts != 1 {
		t.Errorf("%d quiz_restarted, want 1", restarts)
	}
	if diff := cmp.Diff([]string{"fully-managed", "", "fully-managed", ""}, told); diff != "" {
		t.Errorf("outcomes told to the page (-want +got):\n%s", diff)
	}
	if !strings.Contains(rendered(q), "Question 1 of 7") || len(q.IVisit.Answers) != 0 {
		t.Error("restart does not clear the answers and show the first question")
	}
	act(e, h, func(app.Context) { q.submit(doNext, lastOptions(w)[0]) })
	if got := obs.got[len(obs.got)-2]; got.Type != "question_answered" || got.N != 1<<8 {
		t.Errorf("the first answer of round 1 is %v, want question_answered with n %d and no quiz_started", got, 1<<8)
	}
}

// kinds lists the types of what obs saw, events and messages.
func kinds(obs *observer) []string {
	var out []string
	for _, g := range obs.got {
		out = append(out, g.Type)
	}
	return out
}

// TestQuizFormsWorkWithoutTheClient checks each step is a native form that
// a browser can submit on its own: method post, the view id, radios that
// are required and enabled, and Next as the first submit button (the one
// Enter presses).
func TestQuizFormsWorkWithoutTheClient(t *testing.T) {
	w := defaultWidget(t)
	q := &quiz{IWidget: w, IVisit: newVisit()}
	q.IVisit.Answers, q.IVisit.Step = lastOptions(w)[:2], 1
	_, _ = mount(t, q.Render)
	html := rendered(q)
	for _, must := range [][]string{
		{"form", `id="ff-quiz"`, `method="post"`},
		{"input", `type="hidden"`, `name="v"`, `value="` + testView + `"`},
		{"input", `type="radio"`, `name="option"`, `value="` + lastOptions(w)[1] + `"`, "required", "checked"},
		{"input", `type="radio"`, `name="option"`, `value="` + w.Fit.Questions[1].Options[0].ID + `"`, "required"},
	} {
		if !hasElement(html, must[0], must[1:]...) {
			t.Errorf("question lacks a %s with %q:\n%s", must[0], must[1:], html)
		}
	}
	if strings.Contains(html, "disabled") {
		t.Errorf("a control is disabled before the client:\n%s", html)
	}
	buttons := regexp.MustCompile(`<button[^>]*>`).FindAllString(html, -1)
	if len(buttons) == 0 || !strings.Contains(buttons[0], `value="next"`) || !strings.Contains(buttons[0], `type="submit"`) {
		t.Errorf("Next is not the form's first submit button: %q", buttons)
	}
}

// hasElement reports whether html has a start tag of tag with every one of
// attrs (go-app writes attributes in no fixed order).
func hasElement(html, tag string, attrs ...string) bool {
	for _, el := range regexp.MustCompile(`<`+tag+`\s[^>]*>`).FindAllString(html, -1) {
		all := true
		for _, a := range attrs {
			if !regexp.MustCompile(`\s` + regexp.QuoteMeta(a) + `[\s>]`).MatchString(el) {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func TestWorksheetFlagsAndReportsOnce(t *testing.T) {
	obs := &observer{}
	w := defaultWidget(t)
	ws := &worksheet{IWidget: w, IVisit: newVisit(), IEvents: obs}
	e, h := mount(t, ws.Render)
	// It starts neutral: nothing decided is not wrong yet.
	if html := rendered(ws); !strings.Contains(html, w.Worksheet.Start) || strings.Contains(html, "ff-risk") ||
		!strings.Contains(html, "0 of 12 decided") || !hasElement(html, "select", `name="ws-patching"`) {
		t.Errorf("an untouched worksheet is not neutral, or has no named selects:\n%s", html)
	}
	act(e, h, func(app.Context) { ws.set("user-tickets", content.OwnerMSP) })
	if html := rendered(ws); !strings.Contains(html, w.Worksheet.Warning) || strings.Count(html, "ff-ws-row ff-risk") != 3 || !strings.Contains(html, "1 of 12 decided") {
		t.Errorf("once started, the three undecided critical rows are not flagged:\n%s", html)
	}
	owners := []content.Owner{content.OwnerShared, content.OwnerMSP, content.OwnerMSP, content.OwnerInternal}
	for i, r := range w.Worksheet.Responsibilities {
		o := owners[min(i, len(owners)-1)]
		if r.ID == "documentation" {
			o = content.OwnerUndecided
		}
		act(e, h, func(app.Context) { ws.set(r.ID, o) })
	}
	act(e, h, func(app.Context) { ws.set("no-such-thing", content.OwnerMSP) })
	act(e, h, func(app.Context) { ws.set("patching", content.Owner("bogus")) })
	want := []event.Data{{Shared: []string{"patching"}, Undecided: []string{"documentation"}}}
	if diff := cmp.Diff(want, obs.events(event.WorksheetCompleted)); diff != "" {
		t.Errorf("worksheet_completed (-want +got):\n%s", diff)
	}
	// Shared patching is a note (write the split down), not a danger.
	html := rendered(ws)
	if strings.Contains(html, "ff-risk") || !strings.Contains(html, w.Worksheet.SharedNote) || !strings.Contains(html, "11 of 12 decided") {
		t.Errorf("shared patching is flagged, or the note or count is missing:\n%s", html)
	}
	act(e, h, func(app.Context) { ws.set("patching", content.OwnerMSP) })
	if html := rendered(ws); !strings.Contains(html, w.Worksheet.Clear) || strings.Contains(html, "ff-risk") {
		t.Errorf("with one owner each, the worksheet is not clear:\n%s", html)
	}
	if n := len(obs.events(event.WorksheetCompleted)); n != 1 {
		t.Errorf("worksheet_completed recorded %d times, want once per view", n)
	}
	ws.IOutcome = "co-managed"
	if text := ws.text(); !strings.Contains(text, "Recommended: Co-managed IT") {
		t.Errorf("the copied worksheet does not name the recommendation:\n%s", text)
	}
}

// TestPagePrerender renders the whole page as the server does: content from
// the page's Source, the theme from the query, nothing a style attribute,
// and the data island holding exactly the content.
func TestPagePrerender(t *testing.T) {
	w := defaultWidget(t)
	p := Pages(Deps{Source: func(id, locale, partner string) (*content.Widget, error) { return w, nil }})().(*page)
	mount(t, func() app.UI { return p })
	html := app.HTMLString(p)
	for _, must := range []string{`class="ff ff-theme-light"`, `lang="en"`, "<table", `scope="col"`, "<details", "<select"} {
		if !strings.Contains(html, must) {
			t.Errorf("page lacks %s", must)
		}
	}
	if !hasElement(html, "form", `id="ff-quiz"`, `method="post"`) {
		t.Errorf("page lacks the first question's form:\n%s", html)
	}
	if m := regexp.MustCompile(`href="/w/co-managed-vs-fully-managed/cta\?&v=([0-9a-f-]+)&r=0&s=0&a="`).FindStringSubmatch(html); m == nil || !event.ValidUUIDv7(m[1]) {
		t.Errorf("page lacks the CTA through the server with a new view id:\n%s", html)
	} else if !hasElement(html, "input", `name="v"`, `value="`+m[1]+`"`) {
		t.Errorf("the forms do not carry the view id %s", m[1])
	}
	for _, never := range []string{"style=", `="false"`, "ff-rec"} {
		if strings.Contains(html, never) {
			t.Errorf("page has %s", never)
		}
	}
	// go-app prerenders a "true" value as a bare attribute: fine for
	// disabled, wrong for aria-* (aria-hidden="" hides nothing).
	if m := regexp.MustCompile(`\saria-[a-z]+[\s>]`).FindString(html); m != "" {
		t.Errorf("page has an ARIA attribute without a value: %q", m)
	}
	start := strings.Index(html, `id="forgefit-content">`) + len(`id="forgefit-content">`)
	end := strings.Index(html[start:], "</script>")
	var got content.Widget
	if err := json.Unmarshal([]byte(html[start:start+end]), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*w, got); diff != "" {
		t.Errorf("data island (-want +got):\n%s", diff)
	}
}

// TestPagesPassTheirDeps checks that a page takes its content and its
// loader from the Deps its constructor was made with, not from anything the
// package shares: two constructors, two sources, two loaders; and that the
// parts record through the page's recording once it runs.
func TestPagesPassTheirDeps(t *testing.T) {
	w := defaultWidget(t)
	other := *w
	other.Title = "Another title"
	var a, b observer
	pageA := Pages(Deps{Source: func(string, string, string) (*content.Widget, error) { return w, nil }, Loader: &a})().(*page)
	pageB := Pages(Deps{Source: func(string, string, string) (*content.Widget, error) { return &other, nil }, Loader: &b})().(*page)
	mount(t, func() app.UI { return pageA })
	mount(t, func() app.UI { return pageB })
	if htmlA, htmlB := app.HTMLString(pageA), app.HTMLString(pageB); !strings.Contains(htmlA, w.Title) || !strings.Contains(htmlB, "Another title") {
		t.Fatalf("the pages do not render their own sources' content:\n%s\n%s", htmlA, htmlB)
	}

	// Before the client's recording runs, the parts' events go nowhere;
	// the messages go to the page's loader.
	pageA.quiz.submit(doNext, lastOptions(w)[0])
	if diff := cmp.Diff([]string{"answer"}, kinds(&a)); diff != "" {
		t.Errorf("page A's loader (-want +got):\n%s", diff)
	}
	if len(b.got) != 0 {
		t.Errorf("page B's loader got page A's messages: %v", b.got)
	}
	var recorded observer
	pageA.events = &recorded // what OnMount does with the recording
	pageA.quiz.submit(doNext, lastOptions(w)[1])
	pageA.ws.report()
	if diff := cmp.Diff([]string{"question_answered", "worksheet_completed"}, kinds(&recorded)); diff != "" {
		t.Errorf("events through the page's recording (-want +got):\n%s", diff)
	}

	// Without a source (the browser's constructor, prerendering) the page
	// says it could not be loaded, and a nil loader drops the messages.
	empty := Pages(Deps{})().(*page)
	mount(t, func() app.UI { return empty })
	if html := app.HTMLString(empty); !strings.Contains(html, "This widget could not be loaded.") {
		t.Errorf("a page without a source:\n%s", html)
	}
	empty.deps.Loader.Post(msgView, nil) // must not panic
}

func TestComparisonHighlightsTheRecommendedColumn(t *testing.T) {
	w := defaultWidget(t)
	html := app.HTMLString(comparisonTable(w.Comparison, "co-managed", "Recommended"))
	if got := strings.Count(html, `class="ff-rec"`); got != len(w.Comparison.Topics)+1 {
		t.Errorf("%d highlighted cells, want the header and %d cells", got, len(w.Comparison.Topics))
	}
	if html := app.HTMLString(comparisonTable(w.Comparison, "", "Recommended")); strings.Contains(html, "ff-rec") {
		t.Error("a column is highlighted without a result")
	}
}

func TestFAQOpenedOncePerOpening(t *testing.T) {
	obs := &observer{}
	p := &page{faqOpen: map[string]bool{}, widget: defaultWidget(t), events: obs}
	for _, step := range []struct {
		id   string
		open bool
	}{
		{"small-business", true},
		{"small-business", true}, // go-app setting open fires toggle again
		{"small-business", false},
		{"small-business", true},
		{"m365-and-security", true},
	} {
		p.faqToggled(step.id, step.open)
	}
	want := []event.Data{{FAQ: "small-business"}, {FAQ: "small-business"}, {FAQ: "m365-and-security"}}
	// The same entry's openings share an id (n is its place): stored once a
	// view.
	var ns []int
	for _, g := range obs.got {
		ns = append(ns, g.N)
	}
	if diff := cmp.Diff([]int{1, 1, 0}, ns); diff != "" {
		t.Errorf("faq_opened n (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, obs.events(event.FAQOpened)); diff != "" {
		t.Errorf("faq_opened (-want +got):\n%s", diff)
	}
}
