//go:build !wasm

package main

import (
	"context"
	"os"
	"strings"

	"github.com/ehforge/forgefit/internal/cli"
	"github.com/ehforge/forgefit/server"
)

// registerRoutes has nothing to do before the server runs: the server
// routes its widget pages once it has their content (internal/cli).
func registerRoutes() {}

// serve runs the server; it never returns.
func serve() { os.Exit(cli.Main(os.Args[1:], openStore)) }

// openStore is the product's store opener, with the bench's durable floor
// in the bench's build (see floor.go).
func openStore(ctx context.Context, db string) (server.Store, error) {
	if path, ok := strings.CutPrefix(db, "floor:"); ok {
		return openFloorStore(ctx, path)
	}
	return cli.OpenStore(ctx, db)
}
