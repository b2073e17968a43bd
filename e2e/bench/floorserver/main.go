// Command floorserver is forgefit with one more store, the bench's durable
// floor (floor.go), which `-db floor:PATH` names: make bench-build builds it
// as bin/bench/forgefit-floor. Everything else is the product's program,
// internal/cli, whose own store opener refuses "floor:".
package main

import (
	"context"
	"github.com/ehforge/forgefit/store"
	"os"
	"strings"

	"github.com/ehforge/forgefit/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], openStore)) }

// openStore opens the floor store for "-db floor:PATH" and hands any other
// -db to the product's opener.
func openStore(ctx context.Context, db string) (store.Store, error) {
	if path, ok := strings.CutPrefix(db, "floor:"); ok {
		return openFloorStore(ctx, path)
	}
	return cli.OpenStore(ctx, db)
}
