package widget

import (
	"slices"
	"strconv"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// worksheet is the ownership worksheet: who owns each responsibility, with
// the dangerous pattern (critical ones shared or undecided) flagged, and
// the whole copyable as plain text. Like quiz, it is a part of the page
// rather than a component of its own (see quiz), and a native form: posted
// to the server it checks the worksheet and records it as completed; once
// the wasm has taken over, it flags rows as they change and copies to the
// clipboard.
type worksheet struct {
	IWidget *content.Widget
	IVisit  *fit.Visit
	// IOutcome is the recommendation on screen, if any: the copied text
	// names it.
	IOutcome string
	// IEvents records the worksheet as completed.
	IEvents Recorder

	touched  map[string]bool // responsibilities the visitor set
	reported bool            // worksheet_completed was recorded
	copied   bool            // "Copied" shows
	pending  []app.Func      // clipboard promise callbacks not yet called
}

// fieldOwnerPrefix starts the name of a responsibility's select: the rest
// is the responsibility's id.
const fieldOwnerPrefix = fit.FieldOwnerPrefix

// worksheetHeadingID is where the focus lands after a native post of the
// worksheet (see frame.js).
const worksheetHeadingID = "ff-ws-heading"

func selectID(resp string) string { return "ff-ws-" + resp }

// readPrerendered keeps what the visitor chose in the prerendered page
// before the client took over: the client's first render replaces the
// selects, so their values are read back before it.
func (ws *worksheet) readPrerendered() {
	ws.touched = map[string]bool{}
	for _, r := range ws.IWidget.Worksheet.Responsibilities {
		el := app.Window().GetElementByID(selectID(r.ID))
		if !el.Truthy() {
			continue
		}
		if o := content.Owner(el.Get("value").String()); o.Valid() && o != content.OwnerUndecided {
			ws.IVisit.Owners[r.ID] = o
			ws.touched[r.ID] = true
		}
	}
}

// releasePending releases the clipboard callbacks still waiting.
func (ws *worksheet) releasePending() {
	for _, f := range ws.pending {
		f.Release()
	}
	ws.pending = nil
}

// set records that responsibility resp is owned by o.
func (ws *worksheet) set(resp string, o content.Owner) {
	if _, ok := ws.IWidget.Responsibility(resp); !ok || !o.Valid() {
		return
	}
	if ws.touched == nil {
		ws.touched = map[string]bool{}
	}
	ws.IVisit.Owners[resp] = o
	ws.touched[resp] = true
	ws.copied = false
	if len(ws.touched) == len(ws.IWidget.Worksheet.Responsibilities) {
		ws.report()
	}
}

func (ws *worksheet) onSet(ctx app.Context, e app.Event) {
	src := ctx.JSSrc()
	ws.set(strings.TrimPrefix(src.Get("name").String(), fieldOwnerPrefix), content.Owner(src.Get("value").String()))
}

// onSubmit handles the worksheet's buttons in place once the wasm has
// taken over: "check" records the worksheet, "copy" copies it too.
func (ws *worksheet) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	ws.report()
	if e.Get("submitter").Get("value").String() == doCopy {
		ws.copy(ctx)
	}
}

// report records worksheet_completed once per view: when every
// responsibility has been set, or when the visitor checks or copies the
// worksheet, whichever comes first.
func (ws *worksheet) report() {
	if ws.reported {
		return
	}
	ws.reported = true
	ws.IEvents.Record(ws.IVisit.WorksheetDone(ws.IWidget))
}

// text is the worksheet as plain text.
func (ws *worksheet) text() string {
	return fit.WorksheetText(ws.IWidget, ws.IVisit.Owners, ws.IOutcome)
}

// copy writes the worksheet to the clipboard. In a cross-site iframe the
// browser refuses that unless the host page allows clipboard-write, so a
// refusal shows the text in a selected text area instead, as a native post
// of "copy" does.
func (ws *worksheet) copy(ctx app.Context) {
	clip := app.Window().Get("navigator").Get("clipboard")
	if !clip.Truthy() {
		ws.IVisit.ShowText = true
		ws.selectFallback(ctx)
		return
	}
	ws.releasePending()
	var done, failed app.Func
	settle := func(ok bool) {
		dispatch(ctx, func(ctx app.Context) {
			ws.releasePending()
			ws.copied = ok
			if !ok {
				ws.IVisit.ShowText = true
				ws.selectFallback(ctx)
			}
		})
	}
	done = app.FuncOf(func(app.Value, []app.Value) any { settle(true); return nil })
	failed = app.FuncOf(func(app.Value, []app.Value) any { settle(false); return nil })
	ws.pending = []app.Func{done, failed}
	clip.Call("writeText", ws.text()).Call("then", done, failed)
}

// selectFallback selects the fallback text once it is rendered, so that
// Ctrl+C or the system menu copies it.
func (ws *worksheet) selectFallback(ctx app.Context) {
	deferTo(ctx, func(app.Context) {
		if el := app.Window().GetElementByID("ff-ws-text"); el.Truthy() {
			el.Call("focus")
			el.Call("select")
		}
	})
}

func (ws *worksheet) Render() app.UI {
	w, v := ws.IWidget, ws.IVisit
	sheet := w.Worksheet
	report := fit.AssessOwnership(sheet, v.Owners)
	status, kind := report.Status(sheet)
	// Rows are flagged once the visitor has started deciding: at first,
	// everything is undecided and nothing is wrong yet.
	rows := make([]app.UI, len(sheet.Responsibilities))
	for i, r := range sheet.Responsibilities {
		rows[i] = ws.renderRow(r, kind != "start" && slices.Contains(report.AtRisk, r.ID))
	}
	progress := fill(sheet.Progress, "decided", strconv.Itoa(report.Decided), "total", strconv.Itoa(len(sheet.Responsibilities)))
	var fallback, intro app.UI
	if v.ShowText {
		fallback = h(n{tag: "div", class: "ff-ws-fallback"},
			h(n{tag: "label", text: sheet.Heading, attrs: forWorksheetText}),
			h(n{tag: "textarea", id: "ff-ws-text", text: ws.text(), attrs: worksheetTextArea}),
		)
	}
	// The worksheet sits under "What to do next", whose first paragraph
	// may be the same text: say it once.
	if sheet.Intro != "" && !slices.Contains(w.NextSteps.Paragraphs, sheet.Intro) {
		intro = h(n{tag: "p", text: sheet.Intro})
	}
	copied := ""
	if ws.copied {
		copied = w.UI.Copied
	}
	return h(n{tag: "form", class: "ff-worksheet", attrs: postForm, on: "submit", handler: ws.onSubmit},
		hidden(fieldView, v.View),
		hidden(fieldConsent, ""),
		h(n{tag: "h3", id: worksheetHeadingID, text: sheet.Heading, attrs: focusable}),
		intro,
		h(n{tag: "div", class: "ff-ws-head"},
			h(n{tag: "span", text: sheet.ResponsibilityHeading}),
			h(n{tag: "span", text: sheet.OwnerHeading}),
		),
		h(n{tag: "ul", class: "ff-ws-list"}, rows...),
		h(n{tag: "div", id: "ff-ws-status", class: "ff-ws-status ff-" + kind, attrs: statusRole},
			h(n{tag: "p", class: "ff-ws-progress", text: progress}),
			h(n{tag: "p", text: status}),
		),
		h(n{tag: "div", class: "ff-actions"},
			submit("ff-button", w.UI.CheckWorksheet, doWorksheet, false),
			submit("ff-button", w.UI.Copy, doCopy, false),
			h(n{tag: "span", class: "ff-copied", text: copied, attrs: statusRole}),
		),
		fallback,
	)
}

// renderRow is one responsibility and its owner; atRisk flags it.
func (ws *worksheet) renderRow(r content.Responsibility, atRisk bool) app.UI {
	labels := ws.IWidget.Worksheet.Owners
	owner := ws.IVisit.Owners[r.ID]
	if !owner.Valid() {
		owner = content.OwnerUndecided
	}
	options := make([]app.UI, len(content.Owners))
	for j, o := range content.Owners {
		attrs := []string{"value", string(o)}
		if o == owner {
			attrs = append(attrs, "selected", "true") // never "false": see n
		}
		options[j] = h(n{tag: "option", text: labels.Label(o), attrs: attrs})
	}
	// The stylesheet flags a row at risk with a "!" that screen readers
	// skip: the live status below says what is wrong.
	class := "ff-ws-row"
	if atRisk {
		class = "ff-ws-row ff-risk"
	}
	id := selectID(r.ID)
	return h(n{tag: "li", class: class},
		h(n{tag: "label", attrs: []string{"for", id}, text: r.Label}),
		h(n{tag: "select", id: id, attrs: []string{"name", fieldOwnerPrefix + r.ID}, on: "change", handler: ws.onSet}, options...),
	)
}
