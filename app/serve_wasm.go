//go:build wasm

package main

// serve has nothing to do in the browser: RunWhenOnBrowser never returns.
func serve() {}
