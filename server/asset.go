package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
)

// Cache lifetimes of what we serve.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
	cacheShort      = "public, max-age=300"
)

// asset is a file held in memory with its compressed forms, served with an
// ETag and the encoding the client accepts.
type asset struct {
	contentType  string
	cacheControl string
	etag         string
	hash         string // hex SHA-256 of the raw body
	raw, gz, br  []byte // gz and br are nil when compression does not pay
}

// newAsset builds an asset and compresses it at quality, when that makes
// it smaller.
func newAsset(contentType, cacheControl string, body []byte, brQuality int) (*asset, error) {
	sum := sha256.Sum256(body)
	a := &asset{
		contentType:  contentType,
		cacheControl: cacheControl,
		hash:         hex.EncodeToString(sum[:]),
		raw:          body,
	}
	a.etag = `"` + a.hash[:24] + `"`
	if compressible(contentType) && len(body) > 512 {
		gz, err := gzipBytes(body)
		if err != nil {
			return nil, err
		}
		br, err := brotliBytes(body, brQuality)
		if err != nil {
			return nil, err
		}
		if len(gz) < len(body) {
			a.gz = gz
		}
		if len(br) < len(body) {
			a.br = br
		}
	}
	return a, nil
}

func compressible(contentType string) bool {
	return strings.HasPrefix(contentType, "text/") ||
		strings.HasPrefix(contentType, "application/javascript") ||
		strings.HasPrefix(contentType, "application/json") ||
		strings.HasPrefix(contentType, "application/wasm") ||
		strings.HasPrefix(contentType, "image/svg+xml")
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func brotliBytes(b []byte, quality int) ([]byte, error) {
	var buf bytes.Buffer
	zw := brotli.NewWriterLevel(&buf, quality)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ServeHTTP answers GET and HEAD with the best encoding the client accepts,
// and 304 when its ETag matches.
func (a *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", a.cacheControl)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if a.gz != nil || a.br != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	if etagMatches(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.raw
	switch enc := acceptedEncoding(r.Header.Get("Accept-Encoding")); {
	case enc["br"] && a.br != nil:
		h.Set("Content-Encoding", "br")
		body = a.br
	case enc["gzip"] && a.gz != nil:
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// acceptedEncoding parses Accept-Encoding into the codings with a non-zero
// quality.
func acceptedEncoding(header string) map[string]bool {
	enc := map[string]bool{}
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err != nil || v == 0 {
				continue
			}
		}
		if name != "" {
			enc[name] = true
		}
	}
	return enc
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}
