// Package public holds the static files the server sends to browsers: the
// loader partners embed (embed.js), the widget page's side of its protocol
// (frame.js), our own app.js (which replaces go-app's), the widget's
// stylesheet, icons, the crawler files and the demo partner page.
package public

import "embed"

// Files are the static files, by name.
//
//go:embed embed.js frame.js app.js app.css icon.svg icon.png robots.txt demo.html dashboard.css
var Files embed.FS
