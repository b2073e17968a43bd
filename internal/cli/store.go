package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/ehforge/forgefit/store"
	"os"
	"path/filepath"
	"strings"

	"github.com/ehforge/forgefit/store/postgres"
	"github.com/ehforge/forgefit/store/sqlite"
)

// OpenStore is the product's StoreOpener: it opens the store -db names, a
// postgres:// URL or an SQLite file. It and the bench's durable floor
// server (e2e/bench/floorserver), which adds a store of its own, are the
// places that name concrete stores.
func OpenStore(ctx context.Context, db string) (store.Store, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db)
	}
	if strings.HasPrefix(db, "floor:") {
		return nil, errFloor
	}
	if dir := filepath.Dir(db); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("-db: %w", err)
		}
	}
	return sqlite.Open(ctx, db)
}

// errFloor refuses the bench's durable floor, rather than taking
// "floor:…" for an SQLite file's name.
var errFloor = errors.New(`-db floor:… is the bench's durable floor store, which only the bench's server has (e2e/bench/floorserver, built by make bench-build)`)
