//go:build !wasm

package main

import (
	"github.com/ehforge/forgefit/widget"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// registerRoutes tells go-app the widget pages, "/w/{widget}", which the
// server prerenders.
func registerRoutes() {
	app.RouteWithRegexp(widget.RoutePattern, widget.NewPage)
}
