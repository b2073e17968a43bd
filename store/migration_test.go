package store

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := LoadMigrations(fstest.MapFS{
		"m/0002_rollups.sql": {Data: []byte("CREATE TABLE b (x);")},
		"m/0001_events.sql":  {Data: []byte("CREATE TABLE a (x);")},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{{1, "events", "CREATE TABLE a (x);"}, {2, "rollups", "CREATE TABLE b (x);"}}
	if diff := cmp.Diff(want, ms); diff != "" {
		t.Errorf("migrations (-want +got):\n%s", diff)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"missing version 1": {"m/0002_b.sql": {}},
		"badly named":       {"m/0001_a.sql": {}, "m/two.sql": {}},
	} {
		if _, err := LoadMigrations(fsys, "m"); err == nil || !strings.Contains(err.Error(), "migration") {
			t.Errorf("%s: %v, want an error", name, err)
		}
	}
}
