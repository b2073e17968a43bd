// Command helloworld is the smallest go-app v10 app: one component, one
// route. `make bench` builds it for GOOS=js GOARCH=wasm with the same flags
// as the widget, so app.wasm's size can be read against what go-app itself
// costs. Like app/, it is one package main for both builds: in the browser
// RunWhenOnBrowser mounts the component and never returns; a native build
// (what `go vet ./...` compiles) returns at once and exits.
package main

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// hello is the app's only component.
type hello struct {
	app.Compo
}

func (h *hello) Render() app.UI {
	return app.H1().Text("Hello, World!")
}

func main() {
	app.Route("/", func() app.Composer { return &hello{} })
	app.RunWhenOnBrowser()
}
