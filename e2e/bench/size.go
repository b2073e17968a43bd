package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"

	"github.com/andybalholm/brotli"
)

// rawClient fetches bodies exactly as the server sends them: no transparent
// decompression, so a length is the length on the wire.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// fetch GETs url with the given Accept-Encoding and returns the status, the
// Content-Encoding and the body as sent.
func fetch(url, acceptEncoding string) (status int, encoding string, body []byte, err error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", nil, err
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	res, err := rawClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Encoding"), body, err
}

// loaderSize measures /embed.js gzipped: as the server sends it when it
// gzips, else gzipped here at the best level, since the budget is about
// what a partner's visitors download.
func loaderSize(p *product) Figure {
	const name, budget = "/embed.js gzipped", "≤ 1,200 B"
	status, enc, body, err := fetch(p.URL+"/embed.js", "gzip")
	switch {
	case err != nil:
		return failure(name, budget, err)
	case status == http.StatusNotFound:
		return notAvailable(name, budget, "not served yet")
	case status != http.StatusOK:
		return failure(name, budget, fmt.Errorf("GET /embed.js: status %d", status))
	}
	note := "as served (Content-Encoding: gzip)"
	if enc != "gzip" {
		if body, err = gzipBest(body); err != nil {
			return failure(name, budget, err)
		}
		note = "served uncompressed; gzipped here at the best level"
	}
	f := budgetMax(name, float64(len(body)), "bytes", 1200, budget)
	f.Note = note
	return f
}

// wasmMeta finds the content-hashed wasm URL in a widget page.
var wasmMeta = regexp.MustCompile(`<meta name="forgefit-wasm" content="([^"]+)"`)

// wasmSizes measures app.wasm as the server sends it (identity, gzip,
// brotli) and the go-app hello world, compressed the way the server
// compresses the wasm, and compares the brotli sizes.
//
// A smoke run that finds no cached hello-world sizes uses a quick brotli
// quality instead of taking half a minute, and says the comparison does
// not count.
func wasmSizes(p *product, widgetPageURL, helloWasm, cacheDir string, smoke bool) []Figure {
	_, _, page, err := fetch(widgetPageURL, "identity")
	if err != nil {
		return []Figure{failure("app.wasm", "", err)}
	}
	m := wasmMeta.FindSubmatch(page)
	if m == nil {
		return []Figure{failure("app.wasm", "", errors.New("no forgefit-wasm meta in the widget page"))}
	}
	wasmURL := p.URL + string(m[1])
	var ours [3]int
	for i, enc := range []string{"identity", "gzip", "br"} {
		status, got, body, err := fetch(wasmURL, enc)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", wasmURL, status)
		}
		if err == nil && enc != "identity" && got != enc {
			err = fmt.Errorf("GET %s with Accept-Encoding %s: got Content-Encoding %q", wasmURL, enc, got)
		}
		if err != nil {
			return []Figure{failure("app.wasm "+enc, "", err)}
		}
		ours[i] = len(body)
	}
	figs := []Figure{
		info("app.wasm raw", float64(ours[0]), "bytes"),
		info("app.wasm gzip", float64(ours[1]), "bytes"),
		info("app.wasm brotli", float64(ours[2]), "bytes"),
	}
	hello, best, err := helloSizes(helloWasm, cacheDir, smoke)
	if err != nil {
		return append(figs, failure("hello-world wasm", "", err))
	}
	figs = append(figs,
		info("hello-world wasm raw", float64(hello[0]), "bytes"),
		info("hello-world wasm gzip", float64(hello[1]), "bytes"),
		info("hello-world wasm brotli", float64(hello[2]), "bytes"),
	)
	f := budgetMax("app.wasm brotli over hello-world", float64(ours[2]-hello[2]), "bytes", 60_000, "≤ 60,000 B")
	f.Note = "brotli at the best quality, as `forgefit precompress` makes it"
	if !best {
		figs[len(figs)-1].Note = fmt.Sprintf("smoke: brotli quality %d", quickBrotli)
		f = notAvailable(f.Name, f.Budget, "smoke: hello world not at the best brotli")
	}
	return append(figs, f)
}

// quickBrotli is the hello world's brotli quality in a smoke run without
// cached sizes.
const quickBrotli = 5

// helloSizes returns the hello world's raw, gzip and brotli sizes, and
// whether the brotli is at the best quality. That takes half a minute, so
// those sizes are cached by the wasm's hash; quick (a smoke run) settles
// for a quick quality when there is no cache.
func helloSizes(wasm, cacheDir string, quick bool) (sizes [3]int, best bool, err error) {
	raw, err := os.ReadFile(wasm)
	if err != nil {
		return sizes, false, fmt.Errorf("%w (make bench builds it)", err)
	}
	sum := sha256.Sum256(raw)
	cache := filepath.Join(cacheDir, "hello."+hex.EncodeToString(sum[:8])+".sizes")
	if b, err := os.ReadFile(cache); err == nil {
		if _, err := fmt.Sscan(string(b), &sizes[0], &sizes[1], &sizes[2]); err == nil && sizes[0] == len(raw) {
			return sizes, true, nil
		}
	}
	gz, err := gzipBest(raw)
	if err != nil {
		return sizes, false, err
	}
	quality := brotli.BestCompression
	if quick {
		quality = quickBrotli
	}
	var br bytes.Buffer
	w := brotli.NewWriterLevel(&br, quality)
	if _, err := w.Write(raw); err != nil {
		return sizes, false, err
	}
	if err := w.Close(); err != nil {
		return sizes, false, err
	}
	sizes = [3]int{len(raw), len(gz), br.Len()}
	if quick {
		return sizes, false, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err == nil {
		_ = os.WriteFile(cache, fmt.Appendf(nil, "%d %d %d\n", sizes[0], sizes[1], sizes[2]), 0o644)
	}
	return sizes, true, nil
}

// gzipBest gzips b at the best level, as the server does.
func gzipBest(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
