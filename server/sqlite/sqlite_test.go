package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/server/storetest"
)

// files remembers each test's database file, so that a second open in the
// same test reopens it, as storetest.Open requires.
var files sync.Map // *testing.T → path

// open opens a real file in the test's temporary folder.
func open(t *testing.T) server.Store {
	t.Helper()
	path, _ := files.LoadOrStore(t, filepath.Join(t.TempDir(), "forgefit.db"))
	s, err := Open(context.Background(), path.(string))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

// TestMigrations checks that opening a database again applies nothing
// twice and leaves it at SchemaVersion.
func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forgefit.db")
	var runs [][]int
	for range 3 {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		rows, err := s.r.Query(`SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		var versions []int
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			versions = append(versions, v)
		}
		rows.Close()
		runs = append(runs, versions)
		s.Close()
	}
	var want []int
	for v := 1; v <= SchemaVersion; v++ {
		want = append(want, v)
	}
	if diff := cmp.Diff([][]int{want, want, want}, runs); diff != "" {
		t.Errorf("applied migrations per open (-want +got):\n%s", diff)
	}
}

// TestPragmas checks the settings durability rests on.
func TestPragmas(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "forgefit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]any{}
	for _, p := range []string{"journal_mode", "synchronous", "busy_timeout"} {
		var v any
		if err := s.w.QueryRow("PRAGMA " + p).Scan(&v); err != nil {
			t.Fatal(err)
		}
		got[p] = v
	}
	want := map[string]any{"journal_mode": "wal", "synchronous": int64(2), "busy_timeout": int64(BusyTimeoutMillis)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writer pragmas (-want +got):\n%s", diff)
	}
}
