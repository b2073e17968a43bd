// Command forgefit is built twice from this package: GOOS=js GOARCH=wasm
// gives the widget's client (app.wasm), a native build gives the server
// that prerenders the widget, serves the loader and records interactions.
package main

import (
	"github.com/ehforge/forgefit/widget"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	registerRoutes()
	app.RunWhenOnBrowser() // returns at once on the server
	serve()
}

// registerRoutes tells go-app the widget pages. Both builds know them: the
// server prerenders them, the client mounts them.
func registerRoutes() {
	app.RouteWithRegexp(widget.RoutePattern, widget.NewPage)
}
