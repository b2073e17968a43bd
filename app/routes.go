//go:build !wasm

package main

import (
	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// registerRoutes does nothing on the server before it runs: the widget
// pages need the server for their content (see routePages).
func registerRoutes() {}

// routePages tells go-app the widget pages, "/w/{widget}", which srv
// prerenders with its partners' content.
func routePages(srv *server.Server) {
	app.RouteWithRegexp(widget.RoutePattern, widget.Pages(widget.Deps{Source: srv.PartnerContent}))
}
