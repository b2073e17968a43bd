package widget

import (
	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// recording is one widget mount's event recording in the browser: the
// sender, and the browser hooks that feed it (pagehide for beacons, the
// loader's consent and route messages). It is the widget's Recorder on the
// client.
type recording struct {
	sender  *sender
	view    string
	release []func()
}

// startRecording starts recording for the page with query q showing w, in
// view (the visit's view id). A page opened on its own, without a host
// origin (the fallback link, or a shared URL), records as a direct visit of
// the partner.
func startRecording(q params, w *content.Widget, view string) *recording {
	get := q.get
	_, test := q("test")
	win := app.Window()
	ctx := event.Batch{
		Partner:        get("partner"),
		Widget:         w.ID,
		View:           view, // random per mount: not a person
		Locale:         w.Locale,
		ContentVersion: w.Version,
		Page:           event.Page{Origin: get("origin"), Path: get("path")},
		UTM: event.UTM{
			Source: get("utm_source"), Medium: get("utm_medium"), Campaign: get("utm_campaign"),
			Term: get("utm_term"), Content: get("utm_content"),
		},
		Test: test,
		Bot:  win.Get("navigator").Get("webdriver").Truthy(),
	}
	if ctx.Page.Origin == "" {
		ctx.Page.Path = "" // a path without its origin means nothing
	}
	enabled := get("consent") != "required" || hostConsent()
	r := &recording{sender: newSender(newBrowserTransport(), ctx, enabled), view: view}
	r.listen(win, "pagehide", func(app.Value) { r.sender.FlushBeacon() })
	doc := win.Get("document")
	r.listen(doc, "visibilitychange", func(app.Value) {
		if doc.Get("visibilityState").String() == "hidden" {
			r.sender.FlushBeacon()
		}
	})
	requireConsent := get("consent") == "required"
	r.listen(win, "forgefit:host", func(app.Value) {
		host := win.Get("forgefitHost")
		if !host.Truthy() {
			return
		}
		if requireConsent {
			r.sender.SetEnabled(host.Get("consent").Truthy())
		}
		if p := host.Get("path"); p.Truthy() && validHostPath(p.String()) {
			r.sender.SetPath(p.String())
		}
	})
	r.Record(fit.Happened{Type: event.WidgetLoaded})
	return r
}

// hostConsent reads the consent the loader relayed before the wasm ran.
func hostConsent() bool {
	host := app.Window().Get("forgefitHost")
	return host.Truthy() && host.Get("consent").Truthy()
}

// validHostPath accepts a path the loader relayed: absolute, short, no
// query; the server checks it again.
func validHostPath(p string) bool {
	return len(p) > 0 && len(p) <= event.MaxPathBytes && p[0] == '/'
}

// Record implements Recorder: it queues the event with the id the view
// gives it. The server validates it again.
func (r *recording) Record(h fit.Happened) {
	r.sender.Record(event.DerivedID(r.view, h.Type, h.N), h.Type, h.Data)
}

// Stop removes the browser hooks and hands what is queued to beacons.
func (r *recording) Stop() {
	for _, f := range r.release {
		f()
	}
	r.release = nil
	r.sender.FlushBeacon()
}

// listen adds an event listener to target and remembers how to remove it.
func (r *recording) listen(target app.Value, name string, f func(app.Value)) {
	fn := app.FuncOf(func(this app.Value, args []app.Value) any {
		var e app.Value
		if len(args) > 0 {
			e = args[0]
		}
		f(e)
		return nil
	})
	target.Call("addEventListener", name, fn)
	r.release = append(r.release, func() {
		target.Call("removeEventListener", name, fn)
		fn.Release()
	})
}
