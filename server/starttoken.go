package server

import (
	"bytes"
	"crypto/hmac"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Start reports (POST /w/{widget}/started) carry a token that the widget
// page they report on was served by us, for that partner, widget, host
// origin and path, lately: without it, anyone could post reports for any
// partner's origin, as only the Origin header (ours) was checked. The
// token is an HMAC under the session key (see newSessions: -session-key or
// the admin token), so every server sharing a database accepts the
// others', of the time window it was made in: a report of a page served
// up to startTokenWindow ago, or twice that at most, counts. It proves a
// page was served, not that it was shown: whoever fetches widget pages
// can report on them, as many times as they like within the window, but
// only for pages served (and counted) for that origin and path.
const startTokenWindow = time.Hour

// startTokenMeta names the meta element of the widget page that holds the
// token, which frame.js echoes in its report.
const startTokenMeta = "forgefit-start"

// startToken returns the token of a start report of partner's widget on
// origin and path, made at now: its window and the MAC.
func (ss *sessions) startToken(partner, widget, origin, path string, now time.Time) string {
	w := strconv.FormatInt(now.Unix()/int64(startTokenWindow/time.Second), 10)
	return w + "." + ss.startMAC(w, partner, widget, origin, path)
}

func (ss *sessions) startMAC(window, partner, widget, origin, path string) string {
	return ss.sign("start|" + strings.Join([]string{window, partner, widget, origin, path}, "\x00"))[:32]
}

// validStartToken reports whether token was made by startToken for these
// values in the window of now or the one before.
func (ss *sessions) validStartToken(token, partner, widget, origin, path string, now time.Time) bool {
	w, mac, ok := strings.Cut(token, ".")
	if !ok || len(w) > 20 || len(mac) != 32 {
		return false
	}
	n, err := strconv.ParseInt(w, 10, 64)
	cur := now.Unix() / int64(startTokenWindow/time.Second)
	if err != nil || n > cur || n < cur-1 {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(ss.startMAC(w, partner, widget, origin, path)))
}

// withStartToken writes the widget page with a meta element holding the
// start token inserted just after its <head>: the page is go-app's
// prerender, which knows nothing of it. The head comes in the first bytes
// written; if it has not come within maxHeadScan bytes, the page goes as
// it is (and its start report is refused).
type withStartToken struct {
	*noStore
	meta    []byte
	pending []byte
	done    bool
}

const maxHeadScan = 16 << 10

func newWithStartToken(w *noStore, token string) *withStartToken {
	// The token is digits, a dot and hex: nothing to escape.
	return &withStartToken{noStore: w, meta: []byte(`<meta name="` + startTokenMeta + `" content="` + token + `">`)}
}

func (w *withStartToken) WriteHeader(status int) {
	w.Header().Del("Content-Length") // the page grows by the meta element
	w.noStore.WriteHeader(status)
}

func (w *withStartToken) Write(b []byte) (int, error) {
	if w.done {
		return w.noStore.Write(b)
	}
	w.WriteHeader(http.StatusOK)
	w.pending = append(w.pending, b...)
	if i := bytes.Index(w.pending, []byte("<head>")); i >= 0 {
		i += len("<head>")
		out := append(append(append(make([]byte, 0, len(w.pending)+len(w.meta)), w.pending[:i]...), w.meta...), w.pending[i:]...)
		w.done, w.pending = true, nil
		if _, err := w.noStore.Write(out); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	if len(w.pending) > maxHeadScan {
		return len(b), w.flush()
	}
	return len(b), nil
}

// flush writes what is held back, once the page is written.
func (w *withStartToken) flush() error {
	w.done = true
	if len(w.pending) == 0 {
		return nil
	}
	_, err := w.noStore.Write(w.pending)
	w.pending = nil
	return err
}
