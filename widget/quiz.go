package widget

import (
	"strconv"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Element ids the quiz moves focus to when the step changes, so keyboard
// and screen reader users land on the new question or the result.
const (
	questionHeadingID = "ff-q-heading"
	resultHeadingID   = "ff-result-heading"
	fitHeadingID      = "ff-fit-heading"
	quizFormID        = "ff-quiz"
)

// The names of the forms' fields, as fit declares them for the server too.
const (
	fieldDo      = fit.FieldDo
	fieldOption  = fit.FieldOption
	fieldView    = fit.FieldView
	fieldConsent = fit.FieldConsent
	doNext       = fit.DoNext
	doBack       = fit.DoBack
	doRestart    = fit.DoRestart
	doWorksheet  = fit.DoWorksheet
	doCopy       = fit.DoCopy
)

// quiz asks the fit questions one at a time and shows the explained
// recommendation.
//
// Every step is a native form that posts to the server, so the prerendered
// page works before (and without) the wasm; once the wasm has taken over,
// it handles the same submits in place. The step on screen and the answers
// are the page's fit.Visit, read from the URL on the server and in the
// browser alike.
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
	IVisit  *fit.Visit
	// ICTA is the call to action's URL: our server's, which records the
	// click and sends the visitor on; IOnCTA tells the loader of a click.
	ICTA   string
	IOnCTA app.EventHandler
	// IOnOutcome is told the outcome on screen: a model id or Either when
	// the result shows, "" when it does not.
	IOnOutcome func(outcome string)
	// IEvents records the quiz's events; ILoader tells the loader of the
	// answers and the result.
	IEvents Recorder
	ILoader Messenger

	// self is the page's context, from mount: an event's context belongs
	// to the element clicked, which the new step may have replaced, and
	// go-app skips a Defer whose element is gone.
	self    app.Context
	mounted bool
	// chosen is the option the visitor had checked on the prerendered page
	// when the client took over: kept checked until the step changes.
	chosen string
}

// mount keeps the page's context for moving the focus.
func (q *quiz) mount(ctx app.Context) { q.self, q.mounted = ctx, true }

// dismount forgets it.
func (q *quiz) dismount() { q.mounted = false }

func (q *quiz) questions() []content.Question { return q.IWidget.Fit.Questions }

// onSubmit handles a submit of the quiz's forms in place, once the wasm has
// taken over: the browser has checked the form (an option is required to
// move on), and the button pressed says what to do.
func (q *quiz) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	option := ctx.JSSrc().Get("elements").Get(fieldOption)
	if option.Truthy() {
		option = option.Get("value") // the checked radio's, "" if none
	}
	q.submit(e.Get("submitter").Get("value").String(), option.String())
}

// submit does what the button pressed (do) says, with the option checked.
func (q *quiz) submit(do, option string) {
	v := q.IVisit
	q.chosen = ""
	switch do {
	case doNext:
		index := v.Step
		happened := v.Answer(q.IWidget, option)
		if happened == nil {
			return
		}
		for _, h := range happened {
			q.IEvents.Record(h)
		}
		q.ILoader.Post(msgAnswer, map[string]any{"question": q.questions()[index].ID, "option": option, "index": index})
		if !v.ShowsResult(q.IWidget) {
			q.focus(questionHeadingID)
			return
		}
		d := v.Result(q.IWidget)
		q.ILoader.Post(msgResult, map[string]any{"outcome": string(d.Outcome), "margin": *d.Margin})
		q.tell(string(d.Outcome))
		q.focus(resultHeadingID)
	case doBack:
		if v.ShowsResult(q.IWidget) {
			q.tell("")
		}
		v.Back()
		q.focus(questionHeadingID)
	case doRestart:
		q.IEvents.Record(v.Restart())
		q.tell("")
		q.focus(questionHeadingID)
	}
}

func (q *quiz) tell(outcome string) {
	if q.IOnOutcome != nil {
		q.IOnOutcome(outcome)
	}
}

// focus moves the focus to element id once the new step is rendered, and
// shows the answer already given to the question on screen, if any.
func (q *quiz) focus(id string) {
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
// to the next, and their checked state is the browser's once the visitor
// has touched them, not the attribute's.
func (q *quiz) syncRadios() {
	v := q.IVisit
	chosen := ""
	if v.Step < len(v.Answers) {
		chosen = v.Answers[v.Step]
	}
	radios := app.Window().Get("document").Call("querySelectorAll", ".ff-options input")
	for i := 0; i < radios.Length(); i++ {
		r := radios.Index(i)
		r.Set("checked", r.Get("value").String() == chosen)
	}
}

func (q *quiz) Render() app.UI {
	body := q.renderQuestion
	if q.IVisit.ShowsResult(q.IWidget) {
		body = q.renderResult
	}
	return h(n{tag: "section", class: "ff-fit", attrs: fitLabelled},
		h(n{tag: "h2", id: fitHeadingID, text: q.IWidget.Fit.Heading}),
		body(),
	)
}

// hidden is a hidden form field.
func hidden(name, value string) app.UI {
	return h(n{tag: "input", attrs: []string{"type", "hidden", "name", name, "value", value}})
}

// submit is a button that submits its form with do: value. A submit that
// needs no answer skips the form's checks.
func submit(class, label, value string, noValidate bool) app.UI {
	attrs := []string{"type", "submit", "name", fieldDo, "value", value}
	if noValidate {
		attrs = append(attrs, "formnovalidate", "true")
	}
	return h(n{tag: "button", class: class, text: label, attrs: attrs})
}

func (q *quiz) renderQuestion() app.UI {
	w, v := q.IWidget, q.IVisit
	qs := q.questions()
	qu := qs[v.Step]
	chosen := q.chosen
	if chosen == "" && v.Step < len(v.Answers) {
		chosen = v.Answers[v.Step]
	}
	options := make([]app.UI, len(qu.Options))
	for i, o := range qu.Options {
		id := "ff-q-" + qu.ID + "-" + o.ID
		attrs := append([]string{"type", "radio", "name", fieldOption, "value", o.ID}, required...)
		if o.ID == chosen {
			attrs = append(attrs, "checked", "true") // never "false": see n
		}
		options[i] = h(n{tag: "label", class: "ff-option", attrs: []string{"for", id}},
			h(n{tag: "input", id: id, attrs: attrs}),
			h(n{tag: "span", text: o.Label}),
		)
	}
	var help, intro, back, restart app.UI
	var fsAttrs []string
	if qu.Help != "" {
		help = h(n{tag: "p", class: "ff-help", id: "ff-q-help", text: qu.Help})
		fsAttrs = helpDescribed
	}
	if v.Step == 0 && w.Fit.Intro != "" {
		intro = h(n{tag: "p", class: "ff-intro", text: w.Fit.Intro})
	}
	nextLabel := w.UI.Next
	if v.Step == len(qs)-1 {
		nextLabel = w.UI.ShowResult
	}
	if v.Step > 0 {
		back = submit("ff-button", w.UI.Back, doBack, true)
	}
	if len(v.Answers) > 0 {
		restart = submit("ff-button ff-quiet", w.UI.Restart, doRestart, true)
	}
	progress := fill(w.UI.Progress, "n", strconv.Itoa(v.Step+1), "total", strconv.Itoa(len(qs)))
	// A native form: it posts to the page's own URL, which carries the
	// visit, with the view id for a first page whose URL has none. Next
	// comes first: pressing Enter in a form presses its first submit
	// button, and Enter on an answer means "next", never "back".
	return h(n{tag: "form", class: "ff-step", id: quizFormID, attrs: postForm, on: "submit", handler: q.onSubmit},
		hidden(fieldView, v.View),
		hidden(fieldConsent, ""),
		intro,
		h(n{tag: "div", class: "ff-progress"},
			h(n{tag: "p", id: "ff-progress-label", text: progress}),
			h(n{tag: "progress", attrs: []string{"max", strconv.Itoa(len(qs)), "value", strconv.Itoa(v.Step + 1), "aria-labelledby", "ff-progress-label"}}),
		),
		h(n{tag: "fieldset", class: "ff-question", attrs: fsAttrs},
			h(n{tag: "legend"}, h(n{tag: "h3", id: questionHeadingID, text: qu.Prompt, attrs: focusable})),
			help,
			h(n{tag: "div", class: "ff-options"}, options...),
		),
		q.renderLean(),
		h(n{tag: "div", class: "ff-actions"}, submit("ff-button ff-primary", nextLabel, doNext, false), back, restart),
	)
}

// leanAfter is how many answers the provisional lean waits for: one answer
// of seven says little, and a lean that swings at every answer misleads.
const leanAfter = 3

// renderLean shows the provisional lean of the answers before the question
// on screen, once there are leanAfter of them.
func (q *quiz) renderLean() app.UI {
	w, v := q.IWidget, q.IVisit
	if v.Step < leanAfter {
		return nil
	}
	given := fit.Answers{}
	for i, o := range v.Answers[:v.Step] {
		given[w.Fit.Questions[i].ID] = o
	}
	rec := fit.Score(w, given)
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
	rec := fit.Score(w, q.IVisit.AnswerMap(w))
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
		toWorksheet(w),
		ctaLink(w, rec.Outcome, q.ICTA, q.IOnCTA),
		h(n{tag: "form", class: "ff-actions", attrs: postForm, on: "submit", handler: q.onSubmit},
			hidden(fieldView, q.IVisit.View),
			hidden(fieldConsent, ""),
			submit("ff-button", w.UI.Back, doBack, true),
			submit("ff-button ff-quiet", w.UI.Restart, doRestart, true),
		),
	)
}

// toWorksheet links the result to the ownership worksheet, folded further
// down the page: frame.js opens its fold and moves the focus to it, with or
// without the wasm (a fragment link alone would leave the fold closed).
func toWorksheet(w *content.Widget) app.UI {
	if w.UI.ToWorksheet == "" {
		return nil
	}
	return h(n{tag: "p", class: "ff-to-worksheet"},
		h(n{tag: "a", text: w.UI.ToWorksheet, attrs: worksheetLink}))
}

// ctaLink is the call to action with outcome on screen ("" for none), in
// its words: a new tab (the only kind of link go-app's click handler lets
// through from inside the widget), without the opener. href is our server's
// URL for it, which records the click and redirects to the partner's or the
// content's URL for that outcome, attributed.
func ctaLink(w *content.Widget, outcome, href string, onClick app.EventHandler) app.UI {
	label, to := w.CTA.For(outcome)
	if to == "" || href == "" {
		return nil
	}
	return h(n{tag: "p", class: "ff-cta"},
		h(n{tag: "a", class: "ff-button ff-primary", on: "click", handler: onClick,
			attrs: []string{"href", href, "target", "_blank", "rel", "noopener"}},
			h(n{tag: "span", text: label}),
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
