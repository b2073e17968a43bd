package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProductRefusesTheFloorStore checks that the bench's durable floor
// store, which stores nothing, is refused with a clear error by the
// product's store opener, rather than taken for an SQLite file named
// "floor:…" (which would be created in the working directory).
func TestProductRefusesTheFloorStore(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := OpenStore(t.Context(), "floor:"+filepath.Join("data", "forgefit.db"))
	if err == nil {
		s.Close()
		t.Fatal("OpenStore opened the bench's floor store")
	}
	if !strings.Contains(err.Error(), "e2e/bench/floorserver") {
		t.Errorf("error %q does not say which server has the floor store", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("refusing the floor store left %v in the working directory", left)
	}
}
