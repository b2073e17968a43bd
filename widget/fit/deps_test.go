package fit

import (
	"go/build"
	"slices"
	"testing"
)

// TestStandardLibraryOnly keeps the pure domain out of the way of the wasm
// budget and of server code: widget/content and widget/fit may import the
// standard library and, for fit, widget/content and widget/event (a visit's
// steps are recorded as events), nothing else.
func TestStandardLibraryOnly(t *testing.T) {
	allowed := map[string][]string{
		"../content": nil,
		".":          {"github.com/ehforge/forgefit/widget/content", "github.com/ehforge/forgefit/widget/event"},
	}
	for dir, own := range allowed {
		for _, goos := range []string{"linux", "js"} {
			ctx := build.Default
			ctx.GOOS = goos
			if goos == "js" {
				ctx.GOARCH = "wasm"
			}
			pkg, err := ctx.ImportDir(dir, 0)
			if err != nil {
				t.Fatalf("%s for %s: %v", dir, goos, err)
			}
			for _, imp := range pkg.Imports {
				if slices.Contains(own, imp) {
					continue
				}
				p, err := ctx.Import(imp, dir, build.FindOnly)
				if err != nil || !p.Goroot {
					t.Errorf("package in %s (%s) imports %s, which is not in the standard library", dir, goos, imp)
				}
			}
		}
	}
}
