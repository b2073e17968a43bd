package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

var (
	//go:embed frame.js
	frameJS string
	//go:embed host.js
	hostJS string
	//go:embed partner.html
	partnerHTML string
)

var partnerTemplate = template.Must(template.New("partner").Parse(partnerHTML))

// site is an HTTP server the bench runs on loopback.
type site struct {
	srv      *http.Server
	listener net.Listener
}

// listenSite listens on a free loopback port; host names the origin a
// browser uses for it ("127.0.0.1" or "localhost": two sites).
func listenSite(host string, h http.Handler) (*site, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	s := &site{
		srv:      &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second},
		listener: l,
	}
	go s.srv.Serve(l)
	return s, fmt.Sprintf("http://%s:%d", host, l.Addr().(*net.TCPAddr).Port), nil
}

func (s *site) close() { s.srv.Close() }

// placeholderRule is the stylesheet rule with which the partner page holds
// room for the widget before it loads, as README's "Embedding" hands it to
// partners with the snippet.
// The "room reserved" layout shift figure is measured with it, the "nothing
// reserved" one without it: change it here when the README's rule changes.
const placeholderRule = "[data-forgefit-widget] { min-height: 100vh; }"

// partnerPages is the bench's partner site: a page that embeds the
// product with room reserved for it, the same page reserving nothing, and
// the same page embedding the reference.
type partnerPages struct {
	product, bare, reference []byte
}

// The partner site's paths.
const (
	productPath   = "/product"
	barePath      = "/product-bare"
	referencePath = "/reference"
)

func (p *partnerPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	switch r.URL.Path {
	case productPath:
		body = p.product
	case barePath:
		body = p.bare
	case referencePath:
		body = p.reference
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(body)
}

// renderPartnerPage renders the partner page around either the loader
// snippet (when loaderURL is set) or a plain iframe of frameURL; with
// reserve, its stylesheet has placeholderRule.
func renderPartnerPage(loaderURL, frameURL string, reserve bool) ([]byte, error) {
	var rule template.CSS
	if reserve {
		rule = placeholderRule
	}
	var b bytes.Buffer
	err := partnerTemplate.Execute(&b, map[string]any{
		"HostJS":    template.JS(hostJS),
		"Reserve":   rule,
		"LoaderURL": loaderURL,
		"FrameURL":  frameURL,
		"Widget":    widgetID,
		"Partner":   benchPartner,
	})
	return b.Bytes(), err
}

// widgetPageURL is the widget page as the loader would frame it on the
// partner's page at path.
func widgetPageURL(productURL, partnerOrigin, path string) string {
	q := url.Values{"partner": {benchPartner}, "origin": {partnerOrigin}, "path": {path}}
	return productURL + "/w/" + widgetID + "?" + q.Encode()
}

// Everything of the prerendered widget page that is not the page itself:
// scripts (the wasm start and the data island), the wasm preload, icons,
// the manifest and go-app's hidden loading overlay.
var notStatic = []*regexp.Regexp{
	regexp.MustCompile(`(?s)<script\b.*?</script>\s*`),
	regexp.MustCompile(`<link rel="(?:preload|manifest|icon|apple-touch-icon)"[^>]*>\s*`),
	regexp.MustCompile(`<meta name="forgefit-wasm"[^>]*>\s*`),
	regexp.MustCompile(`(?s)<aside id="app-wasm-loader".*?</aside>\s*`),
}

// staticTable turns the prerendered widget page into the reference: the
// same table, markup and stylesheet as plain static HTML.
func staticTable(page []byte) ([]byte, error) {
	if !bytes.Contains(page, []byte("<table")) {
		return nil, errors.New("the widget page has no <table>")
	}
	for _, re := range notStatic {
		page = re.ReplaceAll(page, nil)
	}
	return page, nil
}

// referenceSite serves the static table page and the stylesheet it links,
// as a static file server would.
func referenceSite(page, css []byte) http.Handler {
	mux := http.NewServeMux()
	serve := func(contentType string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(body)
		}
	}
	mux.Handle("GET /table.html", serve("text/html; charset=utf-8", page))
	mux.Handle("GET /app.css", serve("text/css; charset=utf-8", css))
	return mux
}
