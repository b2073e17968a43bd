//go:build wasm

package main

import (
	"strings"

	"github.com/ehforge/forgefit/widget"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// registerRoutes tells go-app the one widget page this client runs on: the
// widget never navigates (its links open new tabs), so the browser only
// ever routes the path it loaded, which the server has matched already.
// The server's pattern route would link go-app's regexp routing into
// app.wasm for that. The check is widget.RoutePattern's, without regexp.
func registerRoutes() {
	p := app.Window().URL().Path
	if id, ok := strings.CutPrefix(p, "/w/"); ok && content.ValidID(id) {
		app.Route(p, widget.Pages(widget.Deps{Loader: widget.FrameLoader{}}))
	}
}
