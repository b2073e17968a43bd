//go:build !benchfloor && !wasm

package main

import (
	"context"
	"errors"

	"github.com/ehforge/forgefit/store"
)

// openFloorStore is the bench's durable floor (see floor.go), which only a
// build with -tags benchfloor has.
func openFloorStore(context.Context, string) (store.Store, error) {
	return nil, errors.New(`-db floor:… is the bench's durable floor; this binary was not built with -tags benchfloor`)
}
