// Package widget is the Forge Fit widget: go-app components rendered on the
// server (so the comparison shows before any wasm arrives) and taken over by
// the same components in the browser.
package widget

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// RoutePattern matches the widget pages, "/w/{widget}".
const RoutePattern = `^/w/[a-z0-9][a-z0-9-]{0,63}$`

// islandID is the id of the JSON data island that carries the page's
// content from the server's prerender to the client's first render, so the
// client renders exactly what the server did without a second request.
const islandID = "forgefit-content"

// Source looks up a widget's content on the server, for the partner that
// embeds it: a partner may override the call to action's URL, and the URL
// carries the partner's attribution (AttributedCTA). The server
// sets it before serving pages; it is unused in the browser, which reads
// the data island instead.
var Source func(id, locale, partner string) (*content.Widget, error)

// viewedAfter is how long at least half the widget must be on screen to
// count as viewed.
const viewedAfter = time.Second

// page is the root component of a widget page.
type page struct {
	app.Compo

	widget *content.Widget
	island string     // the widget's content as JSON, rendered into the page
	rec    *recording // the client's event recording; nil on the server

	// ready is set once the client has mounted: the prerender and the
	// client's first render are identical, controls that need the wasm
	// disabled; the render after mounting enables them.
	ready   bool
	theme   theme
	outcome string          // the recommendation on screen, if any
	faqOpen map[string]bool // FAQ entries open

	visible  bool // at least half the widget is on screen
	viewed   bool // the view was reported
	observer app.Value
	onSeen   app.Func

	// The page's parts, rendered with it (see quiz).
	quiz *quiz
	ws   *worksheet
}

// NewPage returns the component for a widget page.
func NewPage() app.Composer { return &page{quiz: &quiz{}, ws: &worksheet{}} }

// OnInit reads the data island the server rendered, before the client's
// first render, so that render is identical to the prerendered one. It also
// keeps the FAQ entries the visitor opened before the client took over.
func (p *page) OnInit() {
	p.faqOpen = map[string]bool{}
	if app.IsServer {
		return
	}
	p.setQuery(browserParams())
	doc := app.Window().Get("document")
	el := doc.Call("getElementById", islandID)
	if !el.Truthy() {
		return
	}
	p.setIsland(el.Get("textContent").String())
	if p.widget == nil {
		return
	}
	p.ws.IWidget = p.widget
	p.ws.readPrerendered()
	for _, f := range p.widget.FAQ.Entries {
		if d := doc.Call("getElementById", faqID(f.ID)); d.Truthy() && d.Get("open").Bool() {
			p.faqOpen[f.ID] = true
		}
	}
}

// OnPreRender loads the content named by the request on the server.
func (p *page) OnPreRender(ctx app.Context) {
	u := ctx.Page().URL()
	id, locale := pageParams(u)
	p.setQuery(urlParams(u.Query()))
	if Source == nil {
		return
	}
	w, err := Source(id, locale, u.Query().Get("partner"))
	if err != nil {
		return
	}
	b, err := json.Marshal(w)
	if err != nil {
		return
	}
	p.setIsland(string(b))
	ctx.Page().SetTitle("%s", w.Title)
	ctx.Page().SetLang(w.Locale)
}

// OnMount enables the controls, applies the partner's accent, starts
// watching whether the widget is seen, and then marks the document as taken
// over by the client (the loader and the tests wait for this): only after
// the render that enables the controls, so "ready" means they accept input.
func (p *page) OnMount(ctx app.Context) {
	root := app.Window().Get("document").Get("documentElement")
	if p.widget != nil {
		// What ctx.Page().SetLang does in the browser, without linking
		// go-app's SetLang methods (about 2 KB raw) into app.wasm.
		root.Set("lang", p.widget.Locale)
	}
	applyAccent(root, p.theme)
	if p.widget != nil {
		p.rec = startRecording(browserParams(), p.widget)
		Events = p.rec
	}
	p.ready = true
	p.quiz.mount(ctx)
	p.watchView(ctx)
	deferTo(ctx, func(app.Context) {
		root.Call("setAttribute", "data-forgefit-ready", "true")
		Loader.Post(msgReady, map[string]any{})
	})
}

// OnDismount stops recording and watching the widget's visibility, and
// lets the parts release what they hold.
func (p *page) OnDismount() {
	p.quiz.dismount()
	p.ws.releasePending()
	if p.rec != nil {
		p.rec.Stop()
		Events, p.rec = discard{}, nil
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
	Events.Record(event.WidgetViewed, event.Data{})
	Loader.Post(msgView, map[string]any{})
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

// urlParams looks parameters up in a parsed query, as the server has it.
func urlParams(v url.Values) params {
	return func(name string) (string, bool) {
		vs, ok := v[name]
		if len(vs) == 0 {
			return "", ok
		}
		return vs[0], true
	}
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

// pageParams returns the widget id from the path and the locale from the
// query, each only when well formed.
func pageParams(u *url.URL) (id, locale string) {
	id = strings.TrimPrefix(u.Path, "/w/")
	if !content.ValidID(id) {
		id = ""
	}
	locale = strings.ToLower(u.Query().Get("locale"))
	if !content.ValidLocale(locale) {
		locale = content.DefaultLocale
	}
	return id, locale
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
	if open {
		Events.Record(event.FAQOpened, event.Data{FAQ: id})
	}
}

func (p *page) onCTA(ctx app.Context, _ app.Event) {
	reportCTA(p.widget.CTA.ID, p.outcome)
}

func (p *page) Render() app.UI {
	if p.widget == nil {
		return h(n{tag: "main", class: "ff"}, h(n{tag: "p", text: "This widget could not be loaded."}))
	}
	w := p.widget
	// The parts take their props from the page as it renders.
	p.quiz.IWidget, p.quiz.IReady, p.quiz.IOnOutcome = w, p.ready, p.setOutcome
	p.ws.IWidget, p.ws.IReady = w, p.ready
	recommended := ""
	if _, ok := w.Model(p.outcome); ok {
		recommended = p.outcome
	}
	fits := make([]app.UI, len(w.Fits))
	for i, f := range w.Fits {
		fits[i] = section("ff-fits", f.Heading, paragraphs(f.Paragraphs)...)
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
	return h(n{tag: "main", class: p.theme.className(), attrs: []string{"lang", w.Locale}},
		h(n{tag: "h1", class: "ff-title", text: w.Title}),
		h(n{tag: "p", class: "ff-summary", text: w.Summary}),
		section("ff-direct", w.UI.DirectAnswerHeading, paragraphs(w.DirectAnswer)...),
		h(n{tag: "section", class: "ff-section", attrs: []string{"aria-label", w.UI.ComparisonHeading}},
			comparisonTable(w.Comparison, recommended, w.UI.Recommended),
		),
		p.quiz.Render(),
		h(n{tag: "div"}, fits...),
		section("ff-pitfalls-all", w.Pitfalls.Heading, pitfalls...),
		section("ff-next", w.NextSteps.Heading,
			append(paragraphs(w.NextSteps.Paragraphs), p.ws.Render())...),
		section("ff-faq", w.FAQ.Heading, faq...),
		ctaLink(w, p.onCTA),
		// encoding/json escapes <, > and & so the island cannot close its
		// script element early.
		app.Raw(`<script type="application/json" id="`+islandID+`">`+p.island+`</script>`),
	)
}

// section is a titled part of the page.
func section(class, heading string, body ...app.UI) app.UI {
	return h(n{tag: "section", class: "ff-section " + class}, append([]app.UI{h(n{tag: "h2", text: heading})}, body...)...)
}

func paragraphs(ps []string) []app.UI {
	out := make([]app.UI, len(ps))
	for i, s := range ps {
		out[i] = h(n{tag: "p", text: s})
	}
	return out
}
