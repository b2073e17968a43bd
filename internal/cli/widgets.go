package cli

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"html"
	"net/url"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// newWidgetHandler configures go-app as DESIGN.md's prototype notes say:
// a Version that changes only with the wasm and the content, our own icons,
// and a pointer to the content-hashed wasm for our own app.js.
func newWidgetHandler(web *server.Web, lib *content.Library, publicURL *url.URL) *app.Handler {
	sum := sha256.Sum256([]byte(web.Hash() + "/" + lib.Version()))
	version := hex.EncodeToString(sum[:8])
	wasm := html.EscapeString(web.WasmURL)
	domain := ""
	if publicURL != nil {
		domain = publicURL.Host
	}
	return &app.Handler{
		Domain:          domain,
		Image:           "/icon.png",
		Name:            "Forge Fit",
		ShortName:       "Forge Fit",
		Title:           "Forge Fit",
		Description:     "Co-managed IT versus fully managed IT: compare the models and find your fit.",
		Author:          "EventHorizon Forge",
		Lang:            content.DefaultLocale,
		BackgroundColor: "#ffffff",
		ThemeColor:      "#1f4e79",
		Icon:            app.Icon{Default: "/icon.png", Large: "/icon.png", Maskable: "/icon.png", SVG: "/icon.svg"},
		Version:         version,
		// frame.js speaks to the loader on the partner's page: it reports
		// the height and carries the host's state even when the wasm never
		// arrives. A file, deferred: the page's CSP allows no inline script.
		Scripts: []string{"/frame.js defer"},
		RawHeaders: []string{
			`<meta name="forgefit-wasm" content="` + wasm + `" data-version="` + version + `">`,
			// Start the wasm download while the page parses; app.js's
			// fetch picks up the same response.
			`<link rel="preload" href="` + wasm + `" as="fetch" type="application/wasm" crossorigin="anonymous">`,
		},
	}
}

// newToken returns a random bearer token.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
