package widget

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// eventsPath is where the widget posts its events: the server that served
// the widget page, so the request is same-origin.
const eventsPath = "/api/v1/events"

// browserTransport delivers event batches from the browser. In the wasm
// build net/http's client is the Fetch API.
type browserTransport struct {
	url    string
	client *http.Client
}

func newBrowserTransport() *browserTransport {
	return &browserTransport{url: eventsPath, client: &http.Client{Timeout: 15 * time.Second}}
}

// Post implements transport.
func (t *browserTransport) Post(body []byte) (int, time.Duration) {
	req, err := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return 0, 0
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := t.client.Do(req)
	if err != nil {
		return 0, 0
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	return res.StatusCode, retryAfter(res.Header.Get("Retry-After"))
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
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, maxBackoff)
}
