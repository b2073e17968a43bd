package event

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly enforces DESIGN.md's rule for the widget's domain
// packages: they build for js/wasm and import the standard library only
// (and widget/content, whose id and locale rules events share), so nothing
// server-side (a store, a driver) ends up in app.wasm.
func TestStandardLibraryOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/ehforge/forgefit/widget/event" && p != "github.com/ehforge/forgefit/widget/content" {
			t.Errorf("widget/event depends on %s in the wasm build", p)
		}
	}
}
