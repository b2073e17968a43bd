package postgres

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/server/postgres/pgtest"
	"github.com/ehforge/forgefit/server/storetest"
)

// TestMain shares one throwaway PostgreSQL server between the package's
// tests; each test gets a database of its own.
func TestMain(m *testing.M) { pgtest.Main(m) }

// databases remembers each test's database, so that a second open in the
// same test reopens it, as storetest.Open requires.
var databases sync.Map // *testing.T → URL

func open(t *testing.T) server.Store {
	t.Helper()
	u, ok := databases.Load(t)
	if !ok {
		u, _ = databases.LoadOrStore(t, pgtest.NewDatabase(t))
	}
	s, err := Open(context.Background(), u.(string))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

// TestMigrationsOnceWhenStartedTogether opens one new database from
// several stores at once, as servers starting together do: each
// migration is applied once, and every store opens.
func TestMigrationsOnceWhenStartedTogether(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const servers = 6
	var wg sync.WaitGroup
	errs := make([]error, servers)
	stores := make([]*Store, servers)
	for i := range servers {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	rows, _ := stores[0].pool.Query(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	var got []int
	var v int
	for rows.Next() {
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var want []int
	for v := 1; v <= SchemaVersion; v++ {
		want = append(want, v)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("applied migrations (-want +got):\n%s", diff)
	}
}
