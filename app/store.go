//go:build !wasm

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/store/postgres"
	"github.com/ehforge/forgefit/store/sqlite"
)

// openStore opens the store -db names: a postgres:// URL or an SQLite file
// (or, in the bench's build, its durable floor: see floor.go). This is the
// one place that names concrete stores.
func openStore(ctx context.Context, db string) (store.Store, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db)
	}
	if path, ok := strings.CutPrefix(db, "floor:"); ok {
		return openFloorStore(ctx, path)
	}
	if dir := filepath.Dir(db); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("-db: %w", err)
		}
	}
	return sqlite.Open(ctx, db)
}
