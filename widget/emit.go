package widget

import (
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Recorder receives the widget's interaction events, typed as widget/event
// declares them (DESIGN.md's Events table), each with the n that gives it
// its id (see event.DerivedID). The browser-side recording implements it;
// until it runs, the page discards them. The widget may hand the same facts
// to the loader as a message (Messenger).
//
// The events are typed here, not maps of data keys: turning maps into
// event.Data cost app.wasm a conversion function and a map per event.
type Recorder interface {
	Record(h fit.Happened)
}

// discard is the Recorder and Messenger of a page that records and tells
// nothing: the server's prerender, and the client before its recording
// starts.
type discard struct{}

func (discard) Record(fit.Happened) {}

func (discard) Post(string, map[string]any) {}

// Messenger passes a message to the loader on the partner's page, which
// re-emits it as a forgefit:* host event.
type Messenger interface {
	Post(typ string, detail map[string]any)
}

// FrameLoader is the Messenger of the page in the browser: it calls
// window.forgefitPost, which frame.js (loaded before the wasm) defines;
// without it the messages are dropped.
type FrameLoader struct{}

// Post implements Messenger.
func (FrameLoader) Post(typ string, detail map[string]any) {
	if app.IsServer {
		return
	}
	post := app.Window().Get("forgefitPost")
	if !post.Truthy() {
		return
	}
	// detail holds strings, ints and float64s only: syscall/js converts
	// those (and would panic on a []string).
	app.Window().Call("forgefitPost", typ, detail)
}

// The message types the widget sends the loader.
const (
	msgView   = "view"
	msgAnswer = "answer"
	msgResult = "result"
	msgCTA    = "cta"
)
