package server

import (
	"fmt"
	"io/fs"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/js"
)

// LoaderBudget is the most /embed.js may weigh gzipped, in bytes: it runs
// on every partner page, so it must cost them next to nothing.
const LoaderBudget = 1200

// newLoader minifies public/embed.js once, at start, into the asset served
// at "GET /embed.js". Its cache lifetime is short, not immutable: its URL is
// the one partners paste, so a fix must reach their pages within minutes.
func newLoader(files fs.FS) (*asset, error) {
	src, err := fs.ReadFile(files, "embed.js")
	if err != nil {
		return nil, fmt.Errorf("public file: %w", err)
	}
	m := minify.New()
	m.AddFunc("application/javascript", js.Minify)
	min, err := m.Bytes("application/javascript", src)
	if err != nil {
		return nil, fmt.Errorf("minifying embed.js: %w", err)
	}
	return newAsset("application/javascript; charset=utf-8", cacheShort, min, brotliSmall)
}
