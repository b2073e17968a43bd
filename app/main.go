// Command forgefit is built twice from this package: GOOS=js GOARCH=wasm
// gives the widget's client (app.wasm), a native build gives the server
// that prerenders the widget, serves the loader and records interactions.
// It only wires: the widget's page in the browser (routes_wasm.go), the
// program in internal/cli on the server (serve.go).
package main

import "github.com/maxence-charriere/go-app/v10/pkg/app"

func main() {
	registerRoutes()       // the widget page in the browser
	app.RunWhenOnBrowser() // returns at once on the server
	serve()
}
