package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

// Brotli qualities for the wasm: the best one takes about half a minute on
// a 7 MB module, so it runs at build time (`forgefit precompress`); a server
// that finds no precompressed copy makes a quicker one at start.
const (
	brotliBuild = brotli.BestCompression
	brotliStart = 6
	brotliSmall = brotli.BestCompression // small text assets: instant anyway
)

// Web is the widget's build output: app.wasm and the wasm_exec.js of the
// Go release that built it.
type Web struct {
	wasm     *asset
	wasmExec *asset
	// WasmURL is the wasm's content-hashed, immutable URL.
	WasmURL string
}

// Hash is the hex SHA-256 of app.wasm.
func (w *Web) Hash() string { return w.wasm.hash }

// LoadWeb loads dir/app.wasm and dir/wasm_exec.js, with the precompressed
// copies that `forgefit precompress` leaves beside them. Missing copies are
// made now, at a quicker quality, and saved when dir is writable.
func LoadWeb(dir string, log *slog.Logger) (*Web, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "app.wasm"))
	if err != nil {
		return nil, fmt.Errorf("widget build: %w (run `make build`)", err)
	}
	execJS, err := os.ReadFile(filepath.Join(dir, "wasm_exec.js"))
	if err != nil {
		return nil, fmt.Errorf("widget build: %w (run `make build`)", err)
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	w := &Web{
		wasm: &asset{
			contentType:  "application/wasm",
			cacheControl: cacheImmutable,
			etag:         `"` + hash[:24] + `"`,
			hash:         hash,
			raw:          raw,
		},
		WasmURL: "/web/app." + hash[:16] + ".wasm",
	}
	br, gz, err := readPrecompressed(dir, hash)
	if errors.Is(err, fs.ErrNotExist) {
		log.Warn("no precompressed app.wasm; compressing it now at a lower quality (run `forgefit precompress` at build time)", "dir", dir)
		if br, gz, err = compressWasm(raw, brotliStart); err == nil {
			if err := writePrecompressed(dir, hash, br, gz); err != nil {
				log.Warn("could not save the compressed app.wasm", "err", err)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	w.wasm.br, w.wasm.gz = br, gz
	if w.wasmExec, err = newAsset("application/javascript; charset=utf-8", cacheRevalidate, execJS, brotliSmall); err != nil {
		return nil, err
	}
	return w, nil
}

// Precompress writes the best brotli and gzip copies of dir/app.wasm beside
// it, named by the wasm's hash so a stale copy is never served.
func Precompress(dir string) (br, gz int, err error) {
	raw, err := os.ReadFile(filepath.Join(dir, "app.wasm"))
	if err != nil {
		return 0, 0, err
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	if b, g, err := readPrecompressed(dir, hash); err == nil {
		return len(b), len(g), nil
	}
	b, g, err := compressWasm(raw, brotliBuild)
	if err != nil {
		return 0, 0, err
	}
	return len(b), len(g), writePrecompressed(dir, hash, b, g)
}

func compressWasm(raw []byte, quality int) (br, gz []byte, err error) {
	if br, err = brotliBytes(raw, quality); err != nil {
		return nil, nil, err
	}
	if gz, err = gzipBytes(raw); err != nil {
		return nil, nil, err
	}
	return br, gz, nil
}

func precompressedName(dir, hash, ext string) string {
	return filepath.Join(dir, "app."+hash[:16]+".wasm."+ext)
}

func readPrecompressed(dir, hash string) (br, gz []byte, err error) {
	if br, err = os.ReadFile(precompressedName(dir, hash, "br")); err != nil {
		return nil, nil, err
	}
	if gz, err = os.ReadFile(precompressedName(dir, hash, "gz")); err != nil {
		return nil, nil, err
	}
	return br, gz, nil
}

// writePrecompressed writes each file under a temporary name first, so a
// crash never leaves a truncated copy behind the final name.
func writePrecompressed(dir, hash string, br, gz []byte) error {
	for ext, b := range map[string][]byte{"br": br, "gz": gz} {
		name := precompressedName(dir, hash, ext)
		tmp := name + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, name); err != nil {
			return err
		}
	}
	return nil
}
