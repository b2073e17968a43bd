// Command wasmsize checks app.wasm's brotli surplus over the go-app hello
// world against a ceiling, so that `make test` stops the widget's wasm from
// growing unnoticed.
//
// Both sizes are brotli at the best quality, which is deterministic: the
// widget's is the copy `forgefit precompress` leaves beside app.wasm
// (named by the wasm's hash, so a stale copy is never read); the hello
// world's takes half a minute, so it is cached by the hello world's hash in
// the bench's folder, in the format `make bench` reads and writes (raw,
// gzip and brotli sizes), and neither pays for it twice.
//
// The ceiling is a ratchet, not the goal: `make bench` keeps the budget
// (60,000 B) and reports a miss; `make test` fails only when the surplus
// grows past the figure it had when the check was set (see the Makefile).
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

func main() {
	web := flag.String("web", "bin/web", "the widget's build output: app.wasm and its precompressed copies (`make build`)")
	hello := flag.String("hello", "bin/bench/hello.wasm", "the go-app hello world, built for js/wasm like app.wasm")
	cache := flag.String("cache", "bin/bench", "where the hello world's sizes are cached by its hash (shared with `make bench`)")
	max := flag.Int("max", 0, "the largest surplus allowed, in bytes (required)")
	flag.Parse()
	if *max <= 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize -max BYTES [-web DIR] [-hello FILE] [-cache DIR]")
		os.Exit(2)
	}
	s, err := measure(*web, *hello, *cache)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmsize:", err)
		os.Exit(1)
	}
	fmt.Printf("app.wasm brotli %d B, hello world brotli %d B: surplus %d B (ceiling %d B)\n",
		s.app, s.hello, s.surplus(), *max)
	if err := s.check(*max); err != nil {
		fmt.Fprintln(os.Stderr, "wasmsize:", err)
		os.Exit(1)
	}
}

// sizes are the two brotli sizes compared, in bytes.
type sizes struct {
	app, hello int
}

func (s sizes) surplus() int { return s.app - s.hello }

// check says whether the surplus is within max.
func (s sizes) check(max int) error {
	if s.surplus() > max {
		return fmt.Errorf("app.wasm's brotli surplus over the hello world grew to %d B, past the ceiling of %d B", s.surplus(), max)
	}
	return nil
}

// measure reads app.wasm's best brotli size from its precompressed copy in
// web and the hello world's from the cache, compressing it (and filling the
// cache) when the cache has no entry for this build of it.
func measure(web, hello, cacheDir string) (sizes, error) {
	app, err := appBrotli(web)
	if err != nil {
		return sizes{}, err
	}
	h, err := helloBrotli(hello, cacheDir)
	if err != nil {
		return sizes{}, err
	}
	return sizes{app: app, hello: h}, nil
}

// appBrotli returns the size of the brotli copy of web/app.wasm that
// `forgefit precompress` wrote, named app.<first 16 hex of SHA-256>.wasm.br.
func appBrotli(web string) (int, error) {
	raw, err := os.ReadFile(filepath.Join(web, "app.wasm"))
	if err != nil {
		return 0, fmt.Errorf("%w (run `make build`)", err)
	}
	sum := sha256.Sum256(raw)
	name := filepath.Join(web, "app."+hex.EncodeToString(sum[:])[:16]+".wasm.br")
	fi, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("no precompressed copy of this app.wasm (%s): run `make build`, which runs `forgefit precompress`", name)
	}
	if err != nil {
		return 0, err
	}
	return int(fi.Size()), nil
}

// helloBrotli returns the hello world's brotli size at the best quality,
// from the cache file hello.<first 8 bytes of SHA-256, hex>.sizes when it
// holds "raw gzip brotli" for a wasm of this length, else compressing it
// and writing that file.
func helloBrotli(wasm, cacheDir string) (int, error) {
	raw, err := os.ReadFile(wasm)
	if err != nil {
		return 0, fmt.Errorf("%w (the Makefile's wasm-size target builds it)", err)
	}
	sum := sha256.Sum256(raw)
	cache := filepath.Join(cacheDir, "hello."+hex.EncodeToString(sum[:8])+".sizes")
	var n [3]int
	if b, err := os.ReadFile(cache); err == nil {
		if _, err := fmt.Sscan(string(b), &n[0], &n[1], &n[2]); err == nil && n[0] == len(raw) {
			return n[2], nil
		}
	}
	var gz bytes.Buffer
	gw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	var br bytes.Buffer
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	for _, w := range []interface {
		Write([]byte) (int, error)
		Close() error
	}{gw, bw} {
		if _, err := w.Write(raw); err != nil {
			return 0, err
		}
		if err := w.Close(); err != nil {
			return 0, err
		}
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return 0, err
	}
	tmp := cache + ".tmp"
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%d %d %d\n", len(raw), gz.Len(), br.Len()), 0o644); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, cache); err != nil {
		return 0, err
	}
	return br.Len(), nil
}
