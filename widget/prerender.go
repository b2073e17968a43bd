//go:build !wasm

package widget

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/google/uuid"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// prerender loads the content and the visit named by the request. A first
// page's view id is made here: it goes into the page's forms and its visit
// island, and the client reads it back.
func (p *page) prerender(ctx app.Context) {
	u := ctx.Page().URL()
	id, locale := pageParams(u)
	query := u.Query()
	p.setQuery(urlParams(query))
	if p.deps.Source == nil {
		return
	}
	w, err := p.deps.Source(id, locale, query.Get("partner"))
	if err != nil {
		return
	}
	b, err := json.Marshal(w)
	if err != nil {
		return
	}
	p.setIsland(string(b))
	p.visit, _ = fit.ParseVisit(w, query.Get) // the server checked it before rendering
	if p.visit.View == "" {
		p.visit.View = uuid.Must(uuid.NewV7()).String()
	}
	for _, k := range fit.VisitParams {
		query.Del(k)
	}
	p.query = query.Encode()
	// The island also carries the result on screen, for frame.js to tell
	// the loader without the wasm; the client reads the visit and ignores
	// the rest.
	served := struct {
		fit.Visit
		Outcome event.Outcome `json:"outcome,omitempty"`
		Margin  *float64      `json:"margin,omitempty"`
	}{Visit: p.visit}
	if p.visit.ShowsResult(w) {
		d := p.visit.Result(w)
		served.Outcome, served.Margin = d.Outcome, d.Margin
	}
	if b, err = json.Marshal(served); err != nil {
		return
	}
	p.served = string(b)
	p.bindParts()
	ctx.Page().SetTitle("%s", w.Title)
	ctx.Page().SetLang(w.Locale)
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
