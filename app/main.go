// Command forgefit is built twice from this package: GOOS=js GOARCH=wasm
// gives the widget's client (app.wasm), a native build gives the server
// that prerenders the widget, serves the loader and records interactions.
package main

import "github.com/maxence-charriere/go-app/v10/pkg/app"

func main() {
	registerRoutes()       // the widget pages: routes.go, routes_wasm.go
	app.RunWhenOnBrowser() // returns at once on the server
	serve()
}
