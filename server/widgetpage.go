package server

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
)

// Widget page query parameters, as the loader passes them. Anything else is
// dropped before the page is rendered: go-app quotes attribute values with
// strconv.Quote, which is not HTML escaping, so nothing unvalidated may
// reach the prerender.
var (
	accentPattern = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	utmPattern    = regexp.MustCompile(`^[\p{L}\p{N} ._~+\-/:]{1,100}$`)
	themes        = map[string]bool{"light": true, "dark": true, "auto": true}
	views         = map[string]bool{"quiz": true, "table": true, "full": true}
	utmKeys       = []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"}
)

// errOriginNotRegistered refuses a widget page for a host page that is not
// one of the partner's origins.
var errOriginNotRegistered = errors.New("origin not registered for this partner")

// maxPagePath bounds the host page path we carry along.
const maxPagePath = 512

// handleWidgetPage handles "GET /w/{widget}": the widget page at the
// visit its URL names, prerendered by go-app, framed only by the partner's
// own origins. A page opened on its own (no host origin: the fallback link)
// is a direct visit of the partner.
func (s *Server) handleWidgetPage(w http.ResponseWriter, r *http.Request) {
	req := s.widgetRequest(w, r)
	s.countWidgetPage(r, req)
	if req == nil {
		return
	}
	w.Header().Set("Content-Security-Policy", widgetCSP(req.partner, s.previewHost(r, req.query.Get("origin"), req.query.Has("test"))))
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = strings.TrimPrefix(req.pageURL(req.visit), r2.URL.Path+"?")
	r2.RequestURI = r2.URL.RequestURI()
	// Every page is new: a first page makes a view id, and the partner's
	// data (its call to action) may have changed since. go-app would
	// answer 304 to an If-None-Match of its build version, and a browser
	// would then show a cached page, with an old visit's view id (whose
	// answers would be dropped as duplicates, and which would follow the
	// visitor from visit to visit).
	r2.Header.Del("If-None-Match")
	r2.Header.Del("If-Modified-Since")
	out := &noStore{ResponseWriter: w}
	origin := req.query.Get("origin")
	if origin == "" || req.query.Has("test") {
		s.cfg.Widgets.ServeHTTP(out, r2)
		return
	}
	// Framed by a host page: its start report needs a token (starttoken.go).
	tw := newWithStartToken(out, s.sessions.startToken(req.partner.ID, r.PathValue("widget"), origin, req.query.Get("path"), s.now()))
	s.cfg.Widgets.ServeHTTP(tw, r2)
	if err := tw.flush(); err != nil {
		s.log.DebugContext(r.Context(), "writing the widget page", "err", err)
	}
}

// noStore keeps a response out of every cache, whatever the handler that
// writes it sets.
type noStore struct {
	http.ResponseWriter
	wrote bool
}

func (w *noStore) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	h.Del("Last-Modified")
	w.ResponseWriter.WriteHeader(status)
}

func (w *noStore) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// widgetQuery keeps the known, valid parameters of a widget page request.
// Malformed optional values are dropped (never echoed); an origin that is
// not the partner's is an error, unless preview says it is the dashboard's
// test-mode preview (Server.previewHost).
func widgetQuery(q url.Values, p *Partner, preview func(origin string, test bool) bool) (url.Values, error) {
	clean := url.Values{}
	clean.Set("partner", p.ID)
	if v := strings.ToLower(q.Get("locale")); content.ValidLocale(v) {
		clean.Set("locale", v)
	}
	if v := q.Get("theme"); themes[v] {
		clean.Set("theme", v)
	}
	if v := q.Get("view"); views[v] {
		clean.Set("view", v)
	}
	if v := q.Get("accent"); accentPattern.MatchString(v) {
		clean.Set("accent", strings.ToLower(v))
	}
	if v := q.Get("origin"); v != "" {
		o, err := NormalizeOrigin(v)
		if err != nil || !(p.AllowsOrigin(o) || preview(o, q.Has("test"))) {
			return nil, errOriginNotRegistered
		}
		clean.Set("origin", o)
	}
	if v := q.Get("path"); validPagePath(v) {
		clean.Set("path", v)
	}
	for _, k := range utmKeys {
		if v := q.Get(k); utmPattern.MatchString(v) {
			clean.Set(k, v)
		}
	}
	if v := q.Get("consent"); v == "required" || v == "granted" {
		clean.Set("consent", v)
	}
	if q.Has("test") {
		clean.Set("test", "1")
	}
	return clean, nil
}

// validPagePath accepts an absolute path without query, fragment or
// control characters.
func validPagePath(p string) bool {
	if p == "" || len(p) > maxPagePath || p[0] != '/' || strings.ContainsAny(p, "?#\\") {
		return false
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// widgetCSP allows nothing outside our origin, wasm compilation, forms
// posted to us (the steps before the wasm), and framing by the partner's
// origins only: by none when it has none yet, by our own for the
// dashboard's preview.
func widgetCSP(p *Partner, preview bool) string {
	ancestors := strings.Join(p.Origins, " ")
	switch {
	case preview:
		ancestors = "'self'"
	case ancestors == "":
		ancestors = "'none'"
	}
	return "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
		"img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors " + ancestors
}

var pageErrorTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"{{if .Code}} data-forgefit-error="{{.Code}}"{{end}}><head><meta charset="utf-8"><title>Forge Fit</title>
<link rel="stylesheet" href="/app.css">{{if .Code}}<script src="/frame.js" defer></script>{{end}}</head>
<body><main class="ff ff-theme-light"><p role="alert">{{.Message}}</p>
{{if .Again}}<p><a class="ff-button ff-primary" href="{{.Again}}">Start again</a></p>{{end}}</main></body></html>
`))

// Why a widget could not start, as the error page tells the loader: the
// codes of its forgefit:error host event.
const (
	startWidget  = "widget"  // no such widget
	startPartner = "partner" // no such partner
	startOrigin  = "origin"  // the host page's origin is not the partner's
)

// writePageError answers a widget page request with a small HTML page: it
// shows inside the partner's iframe, where JSON would be no use. again, if
// set, is a widget page URL to start again from. code, if set, says why the
// widget could not start: frame.js then tells the loader at once, which
// warns the partner's developer, dispatches forgefit:error and gives the
// visitor the fallback link, rather than waiting for its timeout.
func (s *Server) writePageError(w http.ResponseWriter, status int, code, message, again string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'")
	w.WriteHeader(status)
	if err := pageErrorTemplate.Execute(w, struct{ Code, Message, Again string }{code, message, again}); err != nil {
		s.log.Debug("writing error page", "err", err)
	}
}
