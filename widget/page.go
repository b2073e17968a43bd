// Package widget is the Forge Fit widget: go-app components rendered on the
// server (so the comparison shows before any wasm arrives) and taken over by
// the same components in the browser.
package widget

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// RoutePattern matches the widget pages, "/w/{widget}".
const RoutePattern = `^/w/[a-z0-9][a-z0-9-]{0,63}$`

// islandID is the id of the JSON data island that carries the page's
// content from the server's prerender to the client's first render, so the
// client renders exactly what the server did without a second request.
const islandID = "forgefit-content"

// visitIslandID is the id of the JSON data island that carries the visit the
// page was served at (the one its URL names, checked by the server) to the
// client's first render.
const visitIslandID = "forgefit-visit"

// Deps is what a widget page takes from the program it runs in: the
// server's build gives it a Source, the browser's a Loader.
type Deps struct {
	// Source looks up a widget's content on the server, for the partner
	// that embeds it: a partner may override the call to action's URL, and
	// the URL carries the partner's attribution (AttributedCTA). Unused in
	// the browser, which reads the data island instead; without it the
	// prerender shows that the widget could not be loaded.
	Source func(id, locale, partner string) (*content.Widget, error)
	// Loader is where the page sends its messages for the loader on the
	// partner's page (FrameLoader in the browser); nil drops them.
	Loader Messenger
}

// viewedAfter is how long at least half the widget must be on screen to
// count as viewed.
const viewedAfter = time.Second

// page is the root component of a widget page.
type page struct {
	app.Compo

	widget *content.Widget
	island string     // the widget's content as JSON, rendered into the page
	rec    *recording // the client's event recording; nil on the server
	deps   Deps
	events Recorder // where interactions go: rec once it runs, else discard

	theme   theme
	visit   fit.Visit       // where the visitor is: from the page's URL
	served  string          // the visit the page was served at, as JSON
	query   string          // the page's query without the visit, for the CTA's URL
	outcome string          // the recommendation on screen, if any
	faqOpen map[string]bool // FAQ entries open
	folds   map[string]bool // folded parts of the article open
	focused string          // the element focused before the client took over

	visible  bool // at least half the widget is on screen
	viewed   bool // the view was reported
	observer app.Value
	onSeen   app.Func

	// The page's parts, rendered with it (see quiz).
	quiz *quiz
	ws   *worksheet
}

// Pages returns the constructor of widget pages that go-app's routes take:
// each page it makes has deps.
func Pages(deps Deps) func() app.Composer {
	if deps.Loader == nil {
		deps.Loader = discard{}
	}
	return func() app.Composer {
		return &page{deps: deps, events: discard{}, quiz: &quiz{}, ws: &worksheet{}}
	}
}

// Record implements Recorder for the page's parts: it passes the event on
// to the page's recording, once it runs.
func (p *page) Record(h fit.Happened) { p.events.Record(h) }

// OnInit reads, before the client's first render, what makes that render
// identical to the prerendered page it replaces: the content from the data
// island, the visit from the URL (and the view id from the form, on a first
// page), the CTA's query, and what the visitor did on the prerendered page
// meanwhile (an option chosen, worksheet owners set, FAQ entries opened, the
// focus).
func (p *page) OnInit() {
	p.faqOpen, p.folds = map[string]bool{}, map[string]bool{}
	if app.IsServer {
		return
	}
	p.setQuery(browserParams())
	doc := app.Window().Get("document")
	el := doc.Call("getElementById", islandID)
	vis := doc.Call("getElementById", visitIslandID)
	if !el.Truthy() || !vis.Truthy() {
		return
	}
	p.setIsland(el.Get("textContent").String())
	p.served = vis.Get("textContent").String()
	if p.widget == nil || json.Unmarshal([]byte(p.served), &p.visit) != nil {
		p.widget = nil
		return
	}
	if m := doc.Call("querySelector", "main[data-query]"); m.Truthy() {
		p.query = m.Get("dataset").Get("query").String()
	}
	if r := doc.Call("querySelector", "input[name="+fieldOption+"]:checked"); r.Truthy() {
		p.quiz.chosen = r.Get("value").String()
	}
	if a := doc.Get("activeElement"); a.Truthy() {
		p.focused = a.Get("id").String()
	}
	p.bindParts()
	p.ws.readPrerendered()
	for _, f := range p.widget.FAQ.Entries {
		if d := doc.Call("getElementById", faqID(f.ID)); d.Truthy() && d.Get("open").Bool() {
			p.faqOpen[f.ID] = true
		}
	}
	folded := doc.Call("querySelectorAll", "details[data-fold]")
	for i := 0; i < folded.Length(); i++ {
		d := folded.Index(i)
		p.folds[d.Get("dataset").Get("fold").String()] = d.Get("open").Bool()
	}
}

// OnPreRender loads the content and the visit named by the request, on the
// server (prerender.go); in app.wasm it does nothing (prerender_wasm.go), so
// what only the server needs stays out of the wasm's budget.
func (p *page) OnPreRender(ctx app.Context) { p.prerender(ctx) }

// bindParts gives the quiz and the worksheet the page's widget and visit.
func (p *page) bindParts() {
	p.quiz.IWidget, p.quiz.IVisit, p.quiz.IOnOutcome = p.widget, &p.visit, p.setOutcome
	p.quiz.IEvents, p.quiz.ILoader = p, p.deps.Loader
	p.ws.IWidget, p.ws.IVisit, p.ws.IEvents = p.widget, &p.visit, p
	if p.visit.ShowsResult(p.widget) {
		p.outcome = string(p.visit.Result(p.widget).Outcome)
	}
	// The worksheet's part of the article opens by itself once the
	// visitor has used it (a native post of it lands there).
	if len(p.visit.Owners) > 0 || p.visit.ShowText {
		p.folds["next"] = true
	}
}

// ctaURL is our server's URL for the call to action: it records the click,
// with the visit as it is now, and redirects to the partner's URL.
func (p *page) ctaURL() string {
	// The quiz's part of the visit is all the outcome needs. Ids, digits
	// and dots: nothing to escape.
	v := p.visit
	// The partner is in every page's query, so the visit follows an "&".
	return "/w/" + p.widget.ID + "/cta?" + p.query + "&v=" + v.View + "&r=" + strconv.Itoa(v.Round) +
		"&s=" + strconv.Itoa(v.Step) + "&a=" + strings.Join(v.Answers, ".")
}

// OnMount applies the partner's accent, starts recording and watching
// whether the widget is seen, gives the focus back to where it was on the
// prerendered page, and then marks the document as taken over by the client
// (the tests and the bench wait for it). The page worked before that:
// frame.js told the loader it was ready as soon as the forms were there.
func (p *page) OnMount(ctx app.Context) {
	root := app.Window().Get("document").Get("documentElement")
	if p.widget != nil {
		// What ctx.Page().SetLang does in the browser, without linking
		// go-app's SetLang methods (about 2 KB raw) into app.wasm.
		root.Set("lang", p.widget.Locale)
	}
	applyAccent(root, p.theme)
	if p.widget != nil {
		p.rec = startRecording(browserParams(), p.widget, p.visit.View)
		p.events = p.rec
	}
	p.quiz.mount(ctx)
	p.watchView(ctx)
	deferTo(ctx, func(app.Context) {
		// Without scrolling: the element is where it was.
		if el := app.Window().GetElementByID(p.focused); p.focused != "" && el.Truthy() {
			el.Call("focus", map[string]any{"preventScroll": true})
		}
		root.Call("setAttribute", "data-forgefit-wasm", "true")
		app.Window().Get("performance").Call("mark", "forgefit:takeover")
	})
}

// OnDismount stops recording and watching the widget's visibility, and
// lets the parts release what they hold.
func (p *page) OnDismount() {
	p.quiz.dismount()
	p.ws.releasePending()
	if p.rec != nil {
		p.rec.Stop()
		p.events, p.rec = discard{}, nil
	}
	if p.observer != nil && p.observer.Truthy() {
		p.observer.Call("disconnect")
	}
	if p.onSeen != nil {
		p.onSeen.Release()
		p.onSeen = nil
	}
}

// applyAccent sets the partner's accent as custom properties on the root
// element through the CSSOM, which the page's CSP (style-src 'self')
// allows, unlike a style attribute.
func applyAccent(root app.Value, t theme) {
	if t.Accent == "" {
		return
	}
	style := root.Get("style")
	style.Call("setProperty", "--ff-partner-accent", t.Accent)
	style.Call("setProperty", "--ff-partner-on-accent", t.OnAccent)
}

// watchView reports the widget as viewed once at least half of it has
// been on screen for viewedAfter.
func (p *page) watchView(ctx app.Context) {
	io := app.Window().Get("IntersectionObserver")
	main := app.Window().Get("document").Call("querySelector", "main.ff")
	if !io.Truthy() || !main.Truthy() {
		return
	}
	p.onSeen = app.FuncOf(func(_ app.Value, args []app.Value) any {
		entries := args[0]
		visible := halfVisible(entries.Index(entries.Length() - 1))
		dispatch(ctx, func(ctx app.Context) {
			p.visible = visible
			if visible && !p.viewed {
				// What ctx.After does, without linking time.Sleep into
				// app.wasm: the sender's timers already use AfterFunc.
				time.AfterFunc(viewedAfter, func() { dispatch(ctx, p.reportView) })
			}
		})
		return nil
	})
	p.observer = io.New(p.onSeen, map[string]any{"threshold": []any{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1}})
	p.observer.Call("observe", main)
}

// halfVisible reports whether an intersection entry shows at least half
// the widget, or, for a widget taller than the screen, at least half a
// screen of it. Inside a cross-origin iframe the observer's root is the
// top-level viewport but its size (rootBounds) is withheld, so the screen's
// height stands in for it.
func halfVisible(e app.Value) bool {
	if number(e.Get("intersectionRatio")) >= 0.5 {
		return true
	}
	seen := number(e.Get("intersectionRect").Get("height"))
	tall := number(e.Get("boundingClientRect").Get("height"))
	screen := number(app.Window().Get("screen").Get("availHeight"))
	if root := e.Get("rootBounds"); root.Truthy() {
		screen = number(root.Get("height"))
	}
	return seen > 0 && seen >= 0.5*min(tall, screen)
}

// number reads a JS number exactly: String(x) is the shortest decimal that
// reads back as the same float64. It stands in for Value.Float, which,
// called through go-app's Value interface, keeps the Float method of every
// go-app, syscall/js and reflect type in app.wasm (some 4 KB). (Not
// x.toString(): syscall/js calls methods on objects only.) Anything but a
// number reads as 0.
func number(v app.Value) float64 {
	f, _ := strconv.ParseFloat(app.Window().Call("String", v).String(), 64)
	return f
}

func (p *page) reportView(ctx app.Context) {
	if !p.visible || p.viewed {
		return
	}
	p.viewed = true
	p.events.Record(fit.Happened{Type: event.WidgetViewed})
	p.deps.Loader.Post(msgView, map[string]any{})
}

// setQuery reads the page query the loader passed (through the server,
// which dropped anything malformed): the same on the server and the
// client, so both render alike.
func (p *page) setQuery(q params) {
	p.theme = themeFromQuery(q)
}

// params looks up the page's query parameters: a parameter's first value,
// and whether it is there at all.
type params func(name string) (value string, ok bool)

// get returns a parameter's first value, "" when it is absent.
func (q params) get(name string) string {
	v, _ := q(name)
	return v
}

// browserParams looks parameters up in the page's location with the
// browser's URLSearchParams. For the well-formed query the server lets
// through, it gives what url.Values would, without linking net/url's query
// parser into app.wasm (about 3 KB).
func browserParams() params {
	win := app.Window()
	search := win.Get("URLSearchParams").New(win.Get("location").Get("search"))
	return func(name string) (string, bool) {
		if !search.Call("has", name).Bool() {
			return "", false
		}
		return search.Call("get", name).String(), true
	}
}

func (p *page) setIsland(s string) {
	var w content.Widget
	if err := json.Unmarshal([]byte(s), &w); err != nil {
		return
	}
	p.widget = &w
	p.island = s
}

// onFold follows a folded part of the article opened or closed, so that a
// render keeps it as the visitor left it.
func (p *page) onFold(ctx app.Context, e app.Event) {
	src := ctx.JSSrc()
	p.folds[src.Get("dataset").Get("fold").String()] = src.Get("open").Bool()
}

// onCTA tells the loader of a click on the call to action, with the outcome
// on screen; the server records it, as the link goes through it.
func (p *page) onCTA(app.Context, app.Event) {
	p.deps.Loader.Post(msgCTA, map[string]any{"cta": p.widget.CTA.ID, "outcome": p.outcome})
}

// setOutcome is told by the quiz which recommendation is on screen.
func (p *page) setOutcome(outcome string) { p.outcome = outcome }

func faqID(id string) string { return "ff-faq-" + id }

// onFAQToggle follows an FAQ entry opened or closed.
func (p *page) onFAQToggle(ctx app.Context, e app.Event) {
	src := ctx.JSSrc()
	p.faqToggled(src.Get("dataset").Get("faq").String(), src.Get("open").Bool())
}

// faqToggled records an FAQ entry opened. The toggle event also fires when
// go-app itself sets open, so only a change of state counts.
func (p *page) faqToggled(id string, open bool) {
	if open == p.faqOpen[id] {
		return
	}
	p.faqOpen[id] = open
	if !open {
		return
	}
	entries := p.widget.FAQ.Entries
	for i := range entries {
		if entries[i].ID == id {
			p.events.Record(fit.Happened{Type: event.FAQOpened, N: i, Data: event.Data{FAQ: id}})
		}
	}
}

func (p *page) Render() app.UI {
	if p.widget == nil {
		return h(n{tag: "main", class: "ff"}, h(n{tag: "p", text: "This widget could not be loaded."}))
	}
	w := p.widget
	cta := p.ctaURL()
	p.quiz.ICTA, p.quiz.IOnCTA = cta, p.onCTA
	p.ws.IOutcome = p.outcome
	recommended := ""
	if _, ok := w.Model(p.outcome); ok {
		recommended = p.outcome
	}
	pitfalls := make([]app.UI, 0, len(w.Pitfalls.Items)+1)
	for _, it := range w.Pitfalls.Items {
		pitfalls = append(pitfalls, h(n{tag: "div", class: "ff-pitfall"},
			h(n{tag: "h3", text: it.Title}),
			h(n{tag: "p", text: it.Text}),
		))
	}
	if w.Pitfalls.Note != "" {
		pitfalls = append(pitfalls, h(n{tag: "p", text: w.Pitfalls.Note}))
	}
	faq := make([]app.UI, len(w.FAQ.Entries))
	for i, f := range w.FAQ.Entries {
		attrs := []string{"data-faq", f.ID}
		if p.faqOpen[f.ID] {
			attrs = append(attrs, "open", "true") // never "false": it would prerender as open
		}
		faq[i] = h(n{tag: "details", id: faqID(f.ID), attrs: attrs, on: "toggle", handler: p.onFAQToggle},
			h(n{tag: "summary", text: f.Question}),
			h(n{tag: "p", text: f.Answer}),
		)
	}
	table := h(n{tag: "section", class: "ff-section", attrs: []string{"aria-label", w.UI.ComparisonHeading}},
		comparisonTable(w.Comparison, recommended, w.UI.Recommended),
	)
	// The rest of the article: open in the full view, else folded into
	// native disclosures below the questions and the table.
	part := p.fold
	if p.theme.View == "full" {
		part = func(_, class, heading string, body ...app.UI) app.UI { return section(class, heading, body...) }
	}
	rest := []app.UI{part("direct", "ff-direct", w.UI.DirectAnswerHeading, paragraphs(w.DirectAnswer)...)}
	for i, f := range w.Fits {
		rest = append(rest, part("fits-"+strconv.Itoa(i), "ff-fits", f.Heading, paragraphs(f.Paragraphs)...))
	}
	rest = append(rest,
		part("pitfalls", "ff-pitfalls-all", w.Pitfalls.Heading, pitfalls...),
		part("next", "ff-next", w.NextSteps.Heading, append(paragraphs(w.NextSteps.Paragraphs), p.ws.Render())...),
		part("faq", "ff-faq", w.FAQ.Heading, faq...),
	)
	first, second := p.quiz.Render(), table
	if p.theme.View != "quiz" {
		first, second = table, first
	}
	if p.theme.View == "full" {
		// The client's article order: the direct answer before the table.
		first, rest[0] = h(n{tag: "div"}, rest[0], first), nil
	}
	return h(n{tag: "main", class: p.theme.className(), attrs: []string{"lang", w.Locale, "data-query", p.query}},
		h(n{tag: "h1", class: "ff-title", text: w.Title}),
		h(n{tag: "p", class: "ff-summary", text: w.Summary}),
		first,
		second,
		h(n{tag: "div", class: "ff-rest"}, rest...),
		ctaLink(w, p.outcome, cta, p.onCTA),
		// encoding/json escapes <, > and & so the island cannot close its
		// script element early.
		app.Raw(`<script type="application/json" id="`+islandID+`">`+p.island+`</script>`),
		app.Raw(`<script type="application/json" id="`+visitIslandID+`">`+p.served+`</script>`),
	)
}

// section is a titled part of the page.
func section(class, heading string, body ...app.UI) app.UI {
	return h(n{tag: "section", class: "ff-section " + class}, append([]app.UI{h(n{tag: "h2", text: heading})}, body...)...)
}

// fold is a titled part of the page folded into a native disclosure, open
// as the visitor left it; name tells it apart.
func (p *page) fold(name, class, heading string, body ...app.UI) app.UI {
	attrs := []string{"data-fold", name}
	if p.folds[name] {
		attrs = append(attrs, "open", "true") // never "false": see n
	}
	return h(n{tag: "details", class: "ff-section ff-fold " + class, id: "ff-fold-" + name, attrs: attrs, on: "toggle", handler: p.onFold},
		append([]app.UI{h(n{tag: "summary"}, h(n{tag: "h2", text: heading}))}, body...)...)
}

func paragraphs(ps []string) []app.UI {
	out := make([]app.UI, len(ps))
	for i, s := range ps {
		out[i] = h(n{tag: "p", text: s})
	}
	return out
}
