package widget

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The widget builds its elements with app.Elem rather than go-app's typed
// constructors (app.Div, app.Button, ...): each typed element brings its own
// set of methods into app.wasm, and the widget must stay within 60 KB
// (brotli) of a go-app hello world. These helpers also keep each call site
// short, which keeps the generated code small.
//
// Boolean attributes need care: go-app writes Attr(name, false) as
// name="false", which HTML reads as true. Set them only to true on the
// server.
//
// Attribute values need care too: go-app's prerender quotes them with
// strconv.Quote, not HTML escaping, so a double quote in a value would end
// it (written \"). Values from a request are URL-encoded first (the page's
// query); the rest come from our content and the partners file.

// fill is content.Expand without strings.Replacer, which would add some
// 20 KB to app.wasm: vars are pairs of a placeholder name and its value.
func fill(template string, vars ...string) string {
	for i := 0; i+1 < len(vars); i += 2 {
		template = strings.ReplaceAll(template, "{"+vars[i]+"}", vars[i+1])
	}
	return template
}

// n describes one element for h. Building elements from a struct rather
// than chaining go-app's methods makes fewer calls, and in Go's wasm code
// generation calls are what cost bytes.
type n struct {
	tag, class, id, text string
	// attrs are name, value pairs. A boolean attribute is "true"; never
	// "false" in anything the server renders (see el).
	attrs []string
	// on is an event that handler handles.
	on      string
	handler app.EventHandler
}

// h builds the element x describes, with kids as its children.
//
// The children are a separate argument, copied here, rather than a field of
// n: escape analysis treats a struct as one value, so a field that escapes
// (the text, the handler) would send every slice of it to the heap. Copied,
// kids does not escape, and each call site keeps its children on the
// stack: no allocation and no write barriers there, which is most of the
// code a call site costs.
func h(x n, kids ...app.UI) app.UI {
	// Attr rather than Class and ID, and Body rather than Text, which do
	// the same in go-app: each go-app method the widget calls is one more
	// in app.wasm.
	e := app.Elem(x.tag)
	if x.class != "" {
		e = e.Attr("class", x.class)
	}
	if x.id != "" {
		e = e.Attr("id", x.id)
	}
	for i := 0; i+1 < len(x.attrs); i += 2 {
		e = e.Attr(x.attrs[i], x.attrs[i+1])
	}
	if x.on != "" {
		e = e.On(x.on, x.handler)
	}
	if x.text != "" {
		return e.Body(app.Text(x.text))
	}
	if len(kids) > 0 {
		e = e.Body(append([]app.UI(nil), kids...)...)
	}
	return e
}

// dispatch is ctx.Dispatch and deferTo is ctx.Defer, kept from being
// inlined: each inlined copy brings its own copy of go-app's closure (about
// 1 KB of app.wasm for Dispatch, 0.4 KB for Defer) into the caller.
//
//go:noinline
func dispatch(ctx app.Context, f func(app.Context)) { ctx.Dispatch(f) }

//go:noinline
func deferTo(ctx app.Context, f func(app.Context)) { ctx.Defer(f) }
