package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/store/storetest"
)

// BenchmarkWrite measures group commits on a real file with durable
// commits (see storetest.BenchmarkWrite).
//
//	go test -run '^$' -bench Write -benchtime 200x ./store/sqlite
func BenchmarkWrite(b *testing.B) {
	storetest.BenchmarkWrite(b, func(b *testing.B) store.Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
