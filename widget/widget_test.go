package widget

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/go-cmp/cmp"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// entry is one event recorded or one message posted to the loader.
type entry struct {
	Kind  string // "event" or "message"
	Type  string
	Event event.Data     // an event's data
	Data  map[string]any // a message's detail
}

// observer stands in for the event sender and the loader.
type observer struct{ got []entry }

func (o *observer) Record(t event.Type, d event.Data) {
	o.got = append(o.got, entry{Kind: "event", Type: string(t), Event: d})
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

func observe(t *testing.T) *observer {
	t.Helper()
	o := &observer{}
	events, loader := Events, Loader
	Events, Loader = o, o
	t.Cleanup(func() { Events, Loader = events, loader })
	return o
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

func TestQuizRecordsAnswersAndResult(t *testing.T) {
	obs := observe(t)
	w := defaultWidget(t)
	var told []string
	q := &quiz{IWidget: w, IReady: true, IOnOutcome: func(o string) { told = append(told, o) }}
	e, h := mount(t, q.Render)

	act(e, h, func(ctx app.Context) { q.start(ctx, app.Event{}) })
	if !strings.Contains(rendered(q), "Question 1 of 7") {
		t.Fatalf("after start:\n%s", rendered(q))
	}
	// Changing one's mind before moving on reports only the final answer.
	act(e, h, func(ctx app.Context) { q.choose(ctx, "it-team") })
	act(e, h, func(ctx app.Context) { q.choose(ctx, "bogus") }) // ignored
	if html := rendered(q); !strings.Contains(html, "Provisional: based on 1 of 7 answers.") {
		t.Errorf("no provisional lean after one answer:\n%s", html)
	}
	for i, option := range lastOptions(w) {
		act(e, h, func(ctx app.Context) { q.choose(ctx, option) })
		act(e, h, func(ctx app.Context) { q.next(ctx, app.Event{}) })
		if i == 0 && len(obs.events(event.QuestionAnswered)) != 1 {
			t.Fatalf("after the first Next: %v", obs.got)
		}
	}

	var want []event.Data
	for i, q := range w.Fit.Questions {
		want = append(want, event.Data{Question: q.ID, Option: q.Options[len(q.Options)-1].ID, Index: &i})
	}
	if diff := cmp.Diff(want, obs.events(event.QuestionAnswered)); diff != "" {
		t.Errorf("question_answered (-want +got):\n%s", diff)
	}
	margin := 0.85
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
		`target="_blank"`, `rel="noopener"`,
	} {
		if !strings.Contains(html, must) {
			t.Errorf("result lacks %q:\n%s", must, html)
		}
	}

	act(e, h, func(ctx app.Context) { q.onCTA(ctx, app.Event{}) })
	if diff := cmp.Diff([]event.Data{{CTA: "contact", Outcome: event.FullyManaged}}, obs.events(event.CTAClicked)); diff != "" {
		t.Errorf("cta_clicked (-want +got):\n%s", diff)
	}
	act(e, h, func(ctx app.Context) { q.back(ctx, app.Event{}) })
	if !strings.Contains(rendered(q), "Question 7 of 7") {
		t.Error("Back from the result does not show the last question")
	}
	act(e, h, func(ctx app.Context) { q.restart(ctx, app.Event{}) })
	if n := len(obs.events(event.QuizRestarted)); n != 1 {
		t.Errorf("%d quiz_restarted, want 1", n)
	}
	if diff := cmp.Diff([]string{"fully-managed", "", ""}, told); diff != "" {
		t.Errorf("outcomes told to the page (-want +got):\n%s", diff)
	}
	if !strings.Contains(rendered(q), "Question 1 of 7") || q.answers[w.Fit.Questions[0].ID] != "" {
		t.Error("restart does not clear the answers and show the first question")
	}
}

func TestQuizNextNeedsAnAnswer(t *testing.T) {
	obs := observe(t)
	q := &quiz{IWidget: defaultWidget(t), IReady: true}
	e, h := mount(t, q.Render)
	act(e, h, func(ctx app.Context) { q.start(ctx, app.Event{}) })
	act(e, h, func(ctx app.Context) { q.next(ctx, app.Event{}) })
	if n := len(obs.events(event.QuestionAnswered)); n != 0 || q.step != 0 {
		t.Errorf("Next without an answer: %d answers recorded, step %d", n, q.step)
	}
}

// TestStartWaitsForTheClient checks the start button is disabled and says
// it is loading until the client is ready, so an early click is visibly not
// possible rather than lost.
func TestStartWaitsForTheClient(t *testing.T) {
	w := defaultWidget(t)
	// section > [h2, div.ff-intro > [p, div.ff-actions > [button]]]
	path := []int{0, 1, 1, 0}
	q := &quiz{IWidget: w}
	_, h := mount(t, q.Render)
	loading := app.Elem("button").Attr("type", "button").Class("ff-button ff-primary").Attr("disabled", true)
	if err := app.Match(loading, h, path...); err != nil {
		t.Errorf("before the client is ready: %v\n%s", err, rendered(q))
	}
	if err := app.Match(app.Text(w.UI.Loading), h, append(path, 0)...); err != nil {
		t.Errorf("before the client is ready: %v", err)
	}

	q = &quiz{IWidget: w, IReady: true}
	_, h = mount(t, q.Render)
	start := app.Elem("button").Attr("type", "button").Class("ff-button ff-primary").On("click", q.start)
	if err := app.Match(start, h, path...); err != nil {
		t.Errorf("once the client is ready: %v\n%s", err, rendered(q))
	}
	if err := app.Match(app.Text(w.UI.Start), h, append(path, 0)...); err != nil {
		t.Errorf("once the client is ready: %v", err)
	}
}

func TestWorksheetFlagsAndReportsOnce(t *testing.T) {
	obs := observe(t)
	w := defaultWidget(t)
	ws := &worksheet{IWidget: w, IReady: true}
	e, h := mount(t, ws.Render)
	if html := rendered(ws); !strings.Contains(html, w.Worksheet.Warning) {
		t.Errorf("an undecided worksheet does not warn:\n%s", html)
	}
	owners := []content.Owner{content.OwnerShared, content.OwnerMSP, content.OwnerMSP, content.OwnerInternal}
	for i, r := range w.Worksheet.Responsibilities {
		o := owners[min(i, len(owners)-1)]
		if r.ID == "documentation" {
			o = content.OwnerUndecided
		}
		act(e, h, func(ctx app.Context) { ws.set(ctx, r.ID, o) })
	}
	act(e, h, func(ctx app.Context) { ws.set(ctx, "no-such-thing", content.OwnerMSP) })
	act(e, h, func(ctx app.Context) { ws.set(ctx, "patching", content.Owner("bogus")) })
	want := []event.Data{{Shared: []string{"patching"}, Undecided: []string{"documentation"}}}
	if diff := cmp.Diff(want, obs.events(event.WorksheetCompleted)); diff != "" {
		t.Errorf("worksheet_completed (-want +got):\n%s", diff)
	}
	html := rendered(ws)
	if strings.Count(html, "ff-ws-row ff-risk") != 1 || !strings.Contains(html, w.Worksheet.Warning) {
		t.Errorf("shared patching is not flagged alone:\n%s", html)
	}
	act(e, h, func(ctx app.Context) { ws.set(ctx, "patching", content.OwnerMSP) })
	if html := rendered(ws); !strings.Contains(html, w.Worksheet.Clear) || strings.Contains(html, "ff-risk") {
		t.Errorf("with one owner each, the worksheet still warns:\n%s", html)
	}
	if n := len(obs.events(event.WorksheetCompleted)); n != 1 {
		t.Errorf("worksheet_completed recorded %d times, want once per view", n)
	}
}

// TestPagePrerender renders the whole page as the server does: content from
// Source, the theme from the query, nothing a style attribute, and the data
// island holding exactly the content.
func TestPagePrerender(t *testing.T) {
	w := defaultWidget(t)
	source := Source
	t.Cleanup(func() { Source = source })
	Source = func(id, locale, partner string) (*content.Widget, error) { return w, nil }
	p := NewPage().(*page)
	mount(t, func() app.UI { return p })
	html := app.HTMLString(p)
	for _, must := range []string{`class="ff ff-theme-auto"`, `lang="en"`, "<table", `scope="col"`, "<details", "<select"} {
		if !strings.Contains(html, must) {
			t.Errorf("page lacks %s", must)
		}
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
	obs := observe(t)
	p := &page{faqOpen: map[string]bool{}}
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
	if diff := cmp.Diff(want, obs.events(event.FAQOpened)); diff != "" {
		t.Errorf("faq_opened (-want +got):\n%s", diff)
	}
}

func TestAttrText(t *testing.T) {
	for in, want := range map[string]string{
		"Co-managed IT":      "Co-managed IT",
		"Fully Managed IT ü": "Fully Managed IT ü",
		`Say "hi"`:           "",
		`back\slash`:         "",
		"Tom & Jerry":        "",
		"<b>":                "",
		"tab\there":          "",
	} {
		if got := attrText(in); got != want {
			t.Errorf("attrText(%q) = %q, want %q", in, got, want)
		}
	}
}
