package widget

import (
	"strconv"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Element ids the quiz moves focus to when the step changes, so keyboard
// and screen reader users land on the new question or the result.
const (
	questionHeadingID = "ff-q-heading"
	resultHeadingID   = "ff-result-heading"
	fitHeadingID      = "ff-fit-heading"
)

// quiz asks the fit questions one at a time and shows the explained
// recommendation.
//
// It is a part of the page, not a go-app component of its own: the page
// holds it, calls its mount and dismount, and renders it. Its event
// handlers run in the page's elements, so go-app re-renders the page, and
// with it the quiz. A component type would cost app.wasm about 4 KB (the
// methods go-app's Compo brings, the type's data), which the widget's
// budget does not have. The I-prefixed fields are set by the page, as
// props would be.
type quiz struct {
	IWidget *content.Widget
	// IReady is set once the client has mounted: until then the start
	// button is disabled (see page.Render).
	IReady bool
	// IOnOutcome is told the outcome on screen: a model id or Either when
	// the result shows, "" when it does not.
	IOnOutcome func(outcome string)

	started bool
	step    int // the question shown; len(questions) means the result
	answers fit.Answers
	// self is the page's context, from mount: an event's context belongs
	// to the element clicked, which the new step may have replaced, and
	// go-app skips a Defer whose element is gone.
	self    app.Context
	mounted bool
}

// mount keeps the page's context for moving the focus.
func (q *quiz) mount(ctx app.Context) { q.self, q.mounted = ctx, true }

// dismount forgets it.
func (q *quiz) dismount() { q.mounted = false }

func (q *quiz) questions() []content.Question { return q.IWidget.Fit.Questions }

func (q *quiz) showingResult() bool { return q.started && q.step >= len(q.questions()) }

// start shows the first question.
func (q *quiz) start(ctx app.Context, _ app.Event) {
	q.started, q.step, q.answers = true, 0, fit.Answers{}
	Events.Record(event.QuizStarted, event.Data{})
	q.focus(ctx, questionHeadingID)
}

// choose records the option picked for the question on screen. It does not
// report an answer yet: arrow keys move through a radio group, changing the
// choice at each step; the answer counts when the visitor moves on.
func (q *quiz) choose(ctx app.Context, option string) {
	if !q.started || q.step >= len(q.questions()) {
		return
	}
	qu := q.questions()[q.step]
	if _, ok := qu.Option(option); !ok {
		return
	}
	q.answers[qu.ID] = option // start made the map
}

func (q *quiz) onChoose(ctx app.Context, e app.Event) {
	q.choose(ctx, ctx.JSSrc().Get("value").String())
}

// next reports the answer on screen and moves to the next question, or to
// the result after the last one.
func (q *quiz) next(ctx app.Context, _ app.Event) {
	qs := q.questions()
	if !q.started || q.step >= len(qs) {
		return
	}
	qu := qs[q.step]
	option, ok := q.answers[qu.ID]
	if !ok {
		return
	}
	index := q.step
	Events.Record(event.QuestionAnswered, event.Data{Question: qu.ID, Option: option, Index: &index})
	Loader.Post(msgAnswer, map[string]any{"question": qu.ID, "option": option, "index": index})
	q.step++
	if q.step < len(qs) {
		q.focus(ctx, questionHeadingID)
		return
	}
	rec := fit.Score(q.IWidget, q.answers)
	margin := roundMargin(rec.Margin)
	d := event.Data{Outcome: event.Outcome(rec.Outcome), Margin: &margin}
	Events.Record(event.QuizCompleted, d)
	Events.Record(event.RecommendationShown, d)
	Loader.Post(msgResult, map[string]any{"outcome": rec.Outcome, "margin": margin})
	q.tell(rec.Outcome)
	q.focus(ctx, resultHeadingID)
}

// back shows the previous question (from the result, the last one).
func (q *quiz) back(ctx app.Context, _ app.Event) {
	if !q.started || q.step == 0 {
		return
	}
	if q.showingResult() {
		q.tell("")
	}
	q.step--
	q.focus(ctx, questionHeadingID)
}

// restart clears the answers and shows the first question again.
func (q *quiz) restart(ctx app.Context, _ app.Event) {
	q.started, q.step, q.answers = true, 0, fit.Answers{}
	Events.Record(event.QuizRestarted, event.Data{})
	q.tell("")
	q.focus(ctx, questionHeadingID)
}

func (q *quiz) onCTA(ctx app.Context, _ app.Event) {
	rec := fit.Score(q.IWidget, q.answers)
	reportCTA(q.IWidget.CTA.ID, rec.Outcome)
}

// reportCTA records a click on the call to action; outcome is the
// recommendation on screen, if any.
func reportCTA(cta, outcome string) {
	Events.Record(event.CTAClicked, event.Data{CTA: cta, Outcome: event.Outcome(outcome)}) // no outcome: none on screen
	Loader.Post(msgCTA, map[string]any{"cta": cta, "outcome": outcome})
}

func (q *quiz) tell(outcome string) {
	if q.IOnOutcome != nil {
		q.IOnOutcome(outcome)
	}
}

// focus moves the focus to element id once the new step is rendered, and
// shows the answer already given to the question on screen, if any.
func (q *quiz) focus(_ app.Context, id string) {
	if !q.mounted {
		return // on the server, and in unit tests
	}
	deferTo(q.self, func(app.Context) {
		q.syncRadios()
		if el := app.Window().GetElementByID(id); el.Truthy() {
			el.Call("focus")
		}
	})
}

// syncRadios checks the radio of the answer given to the question on
// screen and clears the others: go-app reuses the inputs from one question
// to the next, and their checked state is the browser's, not an attribute.
func (q *quiz) syncRadios() {
	if !q.started || q.step >= len(q.questions()) {
		return
	}
	chosen := q.answers[q.questions()[q.step].ID]
	radios := app.Window().Get("document").Call("querySelectorAll", ".ff-options input")
	for i := 0; i < radios.Length(); i++ {
		r := radios.Index(i)
		r.Set("checked", r.Get("value").String() == chosen)
	}
}

func (q *quiz) Render() app.UI {
	var body app.UI
	switch {
	case !q.started:
		body = q.renderIntro()
	case q.showingResult():
		body = q.renderResult()
	default:
		body = q.renderQuestion()
	}
	return h(n{tag: "section", class: "ff-fit", attrs: fitLabelled},
		h(n{tag: "h2", id: fitHeadingID, text: q.IWidget.Fit.Heading}),
		body,
	)
}

// renderIntro shows the intro and the start button. The prerendered page
// and the client's first render show the button disabled, labelled
// "Loading…": a click before the wasm has taken over would otherwise be
// lost, since the client replaces the prerendered page rather than
// hydrating it. Once the client has mounted (IReady) the button works.
func (q *quiz) renderIntro() app.UI {
	w := q.IWidget
	start := h(n{tag: "button", class: "ff-button ff-primary", text: w.UI.Loading,
		attrs: disabledButton})
	if q.IReady {
		start = button("ff-button ff-primary", w.UI.Start, q.start)
	}
	var intro app.UI
	if w.Fit.Intro != "" {
		intro = h(n{tag: "p", text: w.Fit.Intro})
	}
	return h(n{tag: "div", class: "ff-intro"}, intro, h(n{tag: "div", class: "ff-actions"}, start))
}

func (q *quiz) renderQuestion() app.UI {
	w := q.IWidget
	qs := q.questions()
	qu := qs[q.step]
	_, answered := q.answers[qu.ID]

	options := make([]app.UI, len(qu.Options))
	for i, o := range qu.Options {
		id := "ff-q-" + qu.ID + "-" + o.ID
		// No checked attribute: the radios keep their own state while the
		// visitor chooses (a re-render racing the arrow keys would undo a
		// choice), and syncRadios sets it when the question changes.
		options[i] = h(n{tag: "label", class: "ff-option", attrs: []string{"for", id}},
			// app.Elem rather than ElemSelfClosing saves a type in
			// app.wasm; questions render only in the browser, which
			// creates the element from its tag alone.
			h(n{tag: "input", id: id, attrs: []string{"type", "radio", "name", "ff-q-" + qu.ID, "value", o.ID},
				on: "change", handler: q.onChoose}),
			h(n{tag: "span", text: o.Label}),
		)
	}
	var help app.UI
	var fsAttrs []string
	if qu.Help != "" {
		help = h(n{tag: "p", class: "ff-help", id: "ff-q-help", text: qu.Help})
		fsAttrs = helpDescribed
	}
	nextLabel := w.UI.Next
	if q.step == len(qs)-1 {
		nextLabel = w.UI.ShowResult
	}
	var back, restart app.UI
	var onNext app.EventHandler
	if q.step > 0 {
		back = button("ff-button", w.UI.Back, q.back)
	}
	if answered {
		onNext = q.next
	}
	if q.step > 0 || len(q.answers) > 0 {
		restart = button("ff-button ff-quiet", w.UI.Restart, q.restart)
	}
	progress := fill(w.UI.Progress, "n", strconv.Itoa(q.step+1), "total", strconv.Itoa(len(qs)))
	return h(n{tag: "div", class: "ff-step"},
		h(n{tag: "div", class: "ff-progress"},
			h(n{tag: "p", id: "ff-progress-label", text: progress}),
			h(n{tag: "progress", attrs: []string{"max", strconv.Itoa(len(qs)), "value", strconv.Itoa(q.step + 1), "aria-labelledby", "ff-progress-label"}}),
		),
		h(n{tag: "fieldset", class: "ff-question", attrs: fsAttrs},
			h(n{tag: "legend"}, h(n{tag: "h3", id: questionHeadingID, text: qu.Prompt, attrs: focusable})),
			help,
			h(n{tag: "div", class: "ff-options"}, options...),
		),
		q.renderLean(),
		h(n{tag: "div", class: "ff-actions"}, back, button("ff-button ff-primary", nextLabel, onNext), restart),
	)
}

// renderLean shows the provisional lean of the answers so far.
func (q *quiz) renderLean() app.UI {
	w := q.IWidget
	if len(q.answers) == 0 {
		return nil
	}
	rec := fit.Score(w, q.answers)
	if !rec.Provisional || rec.Answered == 0 {
		return nil
	}
	r, _ := w.Result(rec.Outcome)
	return h(n{tag: "p", class: "ff-lean"},
		h(n{tag: "strong", text: r.Label}),
		h(n{tag: "span", text: fill(w.UI.Provisional, "answered", strconv.Itoa(rec.Answered), "total", strconv.Itoa(rec.Total))}),
	)
}

// maxDrivers is how many driving answers the result explains.
const maxDrivers = 3

func (q *quiz) renderResult() app.UI {
	w := q.IWidget
	rec := fit.Score(w, q.answers)
	res, _ := w.Result(rec.Outcome)
	drivers := rec.Drivers
	if len(drivers) > maxDrivers {
		drivers = drivers[:maxDrivers]
	}
	var why, pitfalls app.UI
	if len(drivers) > 0 {
		items := make([]app.UI, len(drivers))
		for i, d := range drivers {
			items[i] = h(n{tag: "li", text: driverText(w, d)})
		}
		why = h(n{tag: "div"}, h(n{tag: "h4", text: w.UI.Why}), h(n{tag: "ul"}, items...))
	}
	if len(res.Pitfalls) > 0 {
		items := make([]app.UI, len(res.Pitfalls))
		for i, id := range res.Pitfalls {
			p, _ := w.Pitfall(id)
			items[i] = h(n{tag: "li"}, h(n{tag: "strong", text: p.Title}), h(n{tag: "span", text: p.Text}))
		}
		pitfalls = h(n{tag: "div"}, h(n{tag: "h4", text: w.UI.Pitfalls}), h(n{tag: "ul", class: "ff-pitfalls"}, items...))
	}
	return h(n{tag: "div", class: "ff-result"},
		h(n{tag: "h3", id: resultHeadingID, text: res.Heading, attrs: focusable}),
		h(n{tag: "p", text: res.Body}),
		why,
		h(n{tag: "h4", text: w.UI.FlipHeading}),
		h(n{tag: "p", text: flipText(w, rec.Flip)}),
		pitfalls,
		ctaLink(w, q.onCTA),
		h(n{tag: "div", class: "ff-actions"},
			button("ff-button", w.UI.Back, q.back),
			button("ff-button ff-quiet", w.UI.Restart, q.restart),
		),
	)
}

// ctaLink is the call to action: a new tab (the only kind of link go-app's
// click handler lets through from inside the widget), without the opener.
// Its URL is the partner's or the content's, attributed by the server.
func ctaLink(w *content.Widget, onClick app.EventHandler) app.UI {
	if w.CTA.URL == "" {
		return nil
	}
	return h(n{tag: "p", class: "ff-cta"},
		h(n{tag: "a", class: "ff-button ff-primary", on: "click", handler: onClick,
			attrs: []string{"href", w.CTA.URL, "target", "_blank", "rel", "noopener"}},
			h(n{tag: "span", text: w.CTA.Label}),
			h(n{tag: "span", class: "ff-sr", text: " " + w.UI.NewTab}),
		),
	)
}

// driverText is the sentence explaining one driving answer: the option's
// reason, or its label when it has none.
func driverText(w *content.Widget, d fit.Driver) string {
	if d.Reason != "" {
		return d.Reason
	}
	qu, _ := w.Question(d.Question)
	o, _ := qu.Option(d.Option)
	return o.Label
}

// flipText says which single different answer would change the result.
func flipText(w *content.Widget, f *fit.Flip) string {
	if f == nil {
		return w.UI.NoFlip
	}
	qu, _ := w.Question(f.Question)
	o, _ := qu.Option(f.Option)
	r, _ := w.Result(f.Outcome)
	return fill(w.UI.Flip, "question", qu.Prompt, "option", o.Label, "outcome", r.Label)
}
