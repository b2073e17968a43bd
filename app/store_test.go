//go:build !benchfloor && !wasm

package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestFloorNeedsTheBenchBuild checks that the bench's durable floor store,
// which stores nothing, is refused with a clear error by the product's own
// build, rather than taken for an SQLite file named "floor:…".
func TestFloorNeedsTheBenchBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := openStore(context.Background(), "floor:"+path)
	if err == nil {
		s.Close()
		t.Fatal("openStore opened the bench's floor store in a product build")
	}
	if !strings.Contains(err.Error(), "benchfloor") {
		t.Errorf("error %q does not say which build has the floor store", err)
	}
}
