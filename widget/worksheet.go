package widget

import (
	"slices"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The outcomes of "Copy as text".
const (
	copyNone = iota
	copyDone
	copyRefused // the clipboard was refused: the text is shown to copy by hand
)

// worksheet is the ownership worksheet: who owns each responsibility, with
// the dangerous pattern (critical ones shared or undecided) flagged as it
// appears, and the whole copyable as plain text. Like quiz, it is a part of
// the page rather than a component of its own (see quiz).
type worksheet struct {
	IWidget *content.Widget
	IReady  bool

	owners   fit.Ownership
	touched  map[string]bool // responsibilities the visitor set
	reported bool            // worksheet_completed was recorded
	copied   int
	pending  []app.Func // clipboard promise callbacks not yet called
}

func selectID(resp string) string { return "ff-ws-" + resp }

// readPrerendered keeps what the visitor chose in the prerendered page
// before the client took over: the selects work without wasm, and the
// client's first render replaces them, so the page has their values read
// back before it.
func (ws *worksheet) readPrerendered() {
	ws.owners, ws.touched = fit.Ownership{}, map[string]bool{}
	if app.IsServer || ws.IWidget == nil {
		return
	}
	for _, r := range ws.IWidget.Worksheet.Responsibilities {
		el := app.Window().GetElementByID(selectID(r.ID))
		if !el.Truthy() {
			continue
		}
		if o := content.Owner(el.Get("value").String()); o.Valid() && o != content.OwnerUndecided {
			ws.owners[r.ID] = o
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
func (ws *worksheet) set(ctx app.Context, resp string, o content.Owner) {
	if _, ok := ws.IWidget.Responsibility(resp); !ok || !o.Valid() {
		return
	}
	if ws.owners == nil { // not read from a prerendered page
		ws.owners, ws.touched = fit.Ownership{}, map[string]bool{}
	}
	ws.owners[resp] = o
	ws.touched[resp] = true
	ws.copied = copyNone
	if len(ws.touched) == len(ws.IWidget.Worksheet.Responsibilities) {
		ws.report()
	}
}

func (ws *worksheet) onSet(ctx app.Context, e app.Event) {
	src := ctx.JSSrc()
	ws.set(ctx, src.Get("dataset").Get("responsibility").String(), content.Owner(src.Get("value").String()))
}

// report records worksheet_completed once per view: when every
// responsibility has been set, or when the visitor copies the worksheet,
// whichever comes first.
func (ws *worksheet) report() {
	if ws.reported {
		return
	}
	ws.reported = true
	r := fit.AssessOwnership(ws.IWidget.Worksheet, ws.owners)
	Events.Record(event.WorksheetCompleted, event.Data{Shared: nonNil(r.Shared), Undecided: nonNil(r.Undecided)})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// text is the worksheet as plain text.
func (ws *worksheet) text() string { return fit.WorksheetText(ws.IWidget, ws.owners) }

// copy writes the worksheet to the clipboard. In a cross-site iframe the
// browser refuses that unless the host page allows clipboard-write, so a
// refusal shows the text in a selected text area instead.
func (ws *worksheet) copy(ctx app.Context, _ app.Event) {
	ws.report()
	clip := app.Window().Get("navigator").Get("clipboard")
	if !clip.Truthy() {
		ws.copied = copyRefused
		ws.selectFallback(ctx)
		return
	}
	ws.releasePending()
	var done, failed app.Func
	settle := func(result int) {
		dispatch(ctx, func(ctx app.Context) {
			ws.releasePending()
			ws.copied = result
			if result == copyRefused {
				ws.selectFallback(ctx)
			}
		})
	}
	done = app.FuncOf(func(app.Value, []app.Value) any { settle(copyDone); return nil })
	failed = app.FuncOf(func(app.Value, []app.Value) any { settle(copyRefused); return nil })
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
	w := ws.IWidget
	sheet := w.Worksheet
	report := fit.AssessOwnership(sheet, ws.owners)
	status, statusClass := sheet.Clear, "ff-ws-status ff-ok"
	if len(report.AtRisk) > 0 {
		status, statusClass = sheet.Warning, "ff-ws-status ff-warn"
	}
	var onCopy app.EventHandler
	if ws.IReady {
		onCopy = ws.copy
	}
	rows := make([]app.UI, len(sheet.Responsibilities))
	for i, r := range sheet.Responsibilities {
		rows[i] = ws.renderRow(r, slices.Contains(report.AtRisk, r.ID))
	}
	var fallback, intro app.UI
	if ws.copied == copyRefused {
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
	return h(n{tag: "div", class: "ff-worksheet"},
		h(n{tag: "h3", text: sheet.Heading}),
		intro,
		h(n{tag: "div", class: "ff-ws-head"},
			h(n{tag: "span", text: sheet.ResponsibilityHeading}),
			h(n{tag: "span", text: sheet.OwnerHeading}),
		),
		h(n{tag: "ul", class: "ff-ws-list"}, rows...),
		h(n{tag: "p", id: "ff-ws-status", class: statusClass, text: status, attrs: statusRole}),
		h(n{tag: "div", class: "ff-actions"},
			button("ff-button", w.UI.Copy, onCopy),
			h(n{tag: "span", class: "ff-copied", text: copiedText(w, ws.copied), attrs: statusRole}),
		),
		fallback,
	)
}

// renderRow is one responsibility and its owner; atRisk flags it.
func (ws *worksheet) renderRow(r content.Responsibility, atRisk bool) app.UI {
	labels := ws.IWidget.Worksheet.Owners
	owner := ws.owners[r.ID]
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
		h(n{tag: "select", id: id, attrs: []string{"data-responsibility", r.ID}, on: "change", handler: ws.onSet}, options...),
	)
}

func copiedText(w *content.Widget, state int) string {
	if state == copyDone {
		return w.UI.Copied
	}
	return ""
}
