//go:build wasm

package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// prerender does nothing in the browser: the client reads what the server
// prerendered from the page itself (see page.OnInit).
func (p *page) prerender(app.Context) {}
