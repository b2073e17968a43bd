package server

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"

	"github.com/ehforge/forgefit/public"
)

// DemoPartnerID is the partner that `-demo` registers for its own site.
const DemoPartnerID = "demo"

// DemoHandler serves the demo partner site: a page on another origin that
// embeds the widget from publicURL with the snippet partners paste.
func DemoHandler(publicURL *url.URL) (http.Handler, error) {
	tmpl, err := template.ParseFS(public.Files, "demo.html")
	if err != nil {
		return nil, err
	}
	// The fallback link, for visitors without JavaScript: the widget page
	// itself, which needs no origin when it is not framed.
	widgetURL := *publicURL
	widgetURL.Path = "/w/co-managed-vs-fully-managed"
	widgetURL.RawQuery = url.Values{"partner": {DemoPartnerID}}.Encode()
	loaderURL := *publicURL
	loaderURL.Path = "/embed.js"
	var page bytes.Buffer
	if err := tmpl.Execute(&page, struct{ WidgetURL, LoaderURL string }{widgetURL.String(), loaderURL.String()}); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page.Bytes())
	})
	return mux, nil
}
