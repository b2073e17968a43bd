// Package widget is the Forge Fit widget: go-app components rendered on the
// server (so the comparison shows before any wasm arrives) and taken over by
// the same components in the browser.
package widget

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// RoutePattern matches the widget pages, "/w/{widget}".
const RoutePattern = `^/w/[a-z0-9][a-z0-9-]{0,63}$`

// islandID is the id of the JSON data island that carries the page's
// content from the server's prerender to the client's first render, so the
// client renders exactly what the server did without a second request.
const islandID = "forgefit-content"

// Source looks up a widget's content on the server. The server sets it
// before serving pages; it is unused in the browser, which reads the data
// island instead.
var Source func(id, locale string) (*content.Widget, error)

// page is the root component of a widget page.
type page struct {
	app.Compo

	widget *content.Widget
	island string     // the widget's content as JSON, rendered into the page
	rec    *recording // the client's event recording; nil on the server
}

// NewPage returns the component for a widget page.
func NewPage() app.Composer { return &page{} }

// OnInit reads the data island the server rendered, before the client's
// first render, so that render is identical to the prerendered one.
func (p *page) OnInit() {
	if app.IsServer {
		return
	}
	el := app.Window().GetElementByID(islandID)
	if !el.Truthy() {
		return
	}
	p.setIsland(el.Get("textContent").String())
}

// OnPreRender loads the content named by the request on the server.
func (p *page) OnPreRender(ctx app.Context) {
	u := ctx.Page().URL()
	id, locale := pageParams(u)
	if Source == nil {
		return
	}
	w, err := Source(id, locale)
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

// OnMount marks the document as taken over by the client and tells the
// loader on the host page, through frame.js, that the widget is ready (the
// tests wait for the mark). Without frame.js (it failed to load) the widget
// still works; it just cannot tell anyone.
func (p *page) OnMount(ctx app.Context) {
	if p.widget != nil {
		p.rec = startRecording(ctx.Page().URL(), p.widget)
	}
	app.Window().Get("document").Get("documentElement").Call("setAttribute", "data-forgefit-ready", "true")
	if app.Window().Get("forgefitPost").Truthy() {
		app.Window().Call("forgefitPost", "ready")
	}
}

// OnDismount stops recording and releases its browser hooks.
func (p *page) OnDismount() {
	if p.rec != nil {
		p.rec.Stop()
		p.rec = nil
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

func (p *page) Render() app.UI {
	if p.widget == nil {
		return app.Main().Class("ff").Body(
			app.P().Text("This widget could not be loaded."),
		)
	}
	w := p.widget
	return app.Main().Class("ff").Body(
		app.H1().Class("ff-title").Text(w.Title),
		app.P().Class("ff-summary").Text(w.Summary),
		newComparison().Comparison(w.Comparison),
		// encoding/json escapes <, > and & so the island cannot close its
		// script element early.
		app.Raw(`<script type="application/json" id="`+islandID+`">`+p.island+`</script>`),
	)
}
