package postgres

import (
	"context"
	"testing"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/store/pgtest"
	"github.com/ehforge/forgefit/store/storetest"
)

// BenchmarkWrite measures group commits on the throwaway server with
// durable commits (fsync and synchronous_commit on, PostgreSQL's
// defaults), as the SQLite engine's does (see storetest.BenchmarkWrite).
//
//	go test -run '^$' -bench Write -benchtime 200x ./store/postgres
func BenchmarkWrite(b *testing.B) {
	storetest.BenchmarkWrite(b, func(b *testing.B) store.Store {
		s, err := Open(context.Background(), pgtest.NewDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
