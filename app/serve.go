//go:build !wasm

package main

import (
	"os"

	"github.com/ehforge/forgefit/internal/cli"
)

// registerRoutes has nothing to do before the server runs: the server
// routes its widget pages once it has their content (internal/cli).
func registerRoutes() {}

// serve runs the server, with the product's stores; it never returns.
func serve() { os.Exit(cli.Main(os.Args[1:], cli.OpenStore)) }
