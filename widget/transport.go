package widget

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// eventsPath is where the widget posts its events: the server that served
// the widget page, so the request is same-origin.
const eventsPath = "/api/v1/events"

// browserTransport delivers event batches with the browser's own fetch and
// sendBeacon. net/http's client would do the same through the Fetch API,
// but linking it adds about 900 KB (brotli) to app.wasm.
type browserTransport struct {
	url string
}

func newBrowserTransport() *browserTransport { return &browserTransport{url: eventsPath} }

// fetchAnswer is what a fetch settled with: a status, or 0 when it failed
// on the network.
type fetchAnswer struct {
	status, retryAfter int
}

// Post implements transport. It blocks its goroutine (never the event
// loop) until the fetch settles.
func (t *browserTransport) Post(body []byte) (int, int) {
	done := make(chan fetchAnswer, 1)
	onAnswer := app.FuncOf(func(this app.Value, args []app.Value) any {
		res := args[0]
		done <- fetchAnswer{res.Get("status").Int(), retryAfter(res.Get("headers").Call("get", "Retry-After").String())}
		return nil
	})
	onFailure := app.FuncOf(func(this app.Value, args []app.Value) any {
		done <- fetchAnswer{}
		return nil
	})
	app.Window().Call("fetch", t.url, map[string]any{
		"method":      "POST",
		"body":        string(body),
		"headers":     map[string]any{"Content-Type": "application/json"},
		"credentials": "omit",
		"keepalive":   len(body) < 60<<10, // lets a send finish as the page goes away
	}).Call("then", onAnswer, onFailure)
	var a fetchAnswer // a network failure unless the fetch settles in time
	select {
	case a = <-done:
	case <-time.After(30 * time.Second):
	}
	// Released by hand: a deferred call is a wrapper function in app.wasm.
	onAnswer.Release()
	onFailure.Release()
	return a.status, a.retryAfter
}

// Beacon implements transport with navigator.sendBeacon, whose string body
// goes out as text/plain (the server accepts that for this reason).
func (t *browserTransport) Beacon(body []byte) bool {
	nav := app.Window().Get("navigator")
	if !nav.Get("sendBeacon").Truthy() {
		return false
	}
	return nav.Call("sendBeacon", t.url, string(body)).Bool()
}

// retryAfter reads a Retry-After header given in seconds (the form our
// server sends); anything else counts as absent.
func retryAfter(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return min(n, int(maxBackoff/time.Second))
}
