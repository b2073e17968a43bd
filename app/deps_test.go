//go:build !wasm

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWasmBuildStaysLean proves DESIGN.md's dependency rules: nothing
// reachable from the wasm build is a server package, a store, a database
// driver, rs/cors or minify, and the pure widget packages use the standard
// library only.
func TestWasmBuildStaysLean(t *testing.T) {
	forbidden := []string{
		"github.com/ehforge/forgefit/server",
		"github.com/ehforge/forgefit/store",
		"github.com/ehforge/forgefit/public",
		"modernc.org/",
		"github.com/jackc/",
		"github.com/rs/cors",
		"github.com/tdewolff/",
		"github.com/prometheus/",
		"github.com/andybalholm/brotli",
	}
	for _, d := range wasmDeps(t, "./") {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) || d == "database/sql" {
				t.Errorf("the wasm build imports %s", d)
			}
		}
	}
	for _, pkg := range []string{"../widget/content", "../widget/fit", "../widget/event"} {
		for _, d := range wasmDeps(t, pkg) {
			if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") && !strings.HasPrefix(d, "github.com/ehforge/forgefit/widget/") {
				t.Errorf("%s imports %s; it may use the standard library only", pkg, d)
			}
		}
	}
}

func wasmDeps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", pkg)
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "cannot find") || strings.Contains(string(out), "directory not found") {
			return nil // the package does not exist yet
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatalf("go list -deps %s listed nothing", pkg)
	}
	return deps
}

// TestServerBuildLeavesTestHarnessesOut checks that the test-only
// PostgreSQL harness (it starts servers and runs initdb) and the store
// conformance suite never reach the server binary.
func TestServerBuildLeavesTestHarnessesOut(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		if d == "github.com/ehforge/forgefit/store/pgtest" || d == "github.com/ehforge/forgefit/store/storetest" {
			t.Errorf("the server binary imports %s, which only tests may", d)
		}
	}
}
