package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ehforge/forgefit/public"
)

// TestLoaderServedMinified checks /embed.js: minified, short cache, an
// ETag that answers 304, compressed, and within its gzipped byte budget
// (bytes, not time: a size is a fact of the build).
func TestLoaderServedMinified(t *testing.T) {
	s, _ := newTestServer(t)
	src, err := public.Files.Open("embed.js")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(src)

	res := get(t, s, "/embed.js", "Accept-Encoding", "gzip")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	for h, want := range map[string]string{
		"Content-Type":     "application/javascript; charset=utf-8",
		"Cache-Control":    "public, max-age=300",
		"Content-Encoding": "gzip",
		"Vary":             "Accept-Encoding",
	} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	gz, _ := io.ReadAll(res.Body)
	if len(gz) > LoaderBudget {
		t.Errorf("/embed.js is %d bytes gzipped; the budget is %d", len(gz), LoaderBudget)
	}
	t.Logf("/embed.js: %d bytes source, %d bytes gzipped", len(raw), len(gz))
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	min, _ := io.ReadAll(zr)
	if len(min) >= len(raw)/2 || bytes.Contains(min, []byte("/*")) || bytes.Count(min, []byte("\n")) > 1 {
		t.Errorf("/embed.js does not look minified: %d bytes from %d", len(min), len(raw))
	}
	// The protocol's words survive minification.
	for _, word := range []string{`"forgefit"`, `"message"`, `"forgefit:"`, `ForgeFit`, `clipboard-write`, `utm_`} {
		if !strings.Contains(string(min), word) {
			t.Errorf("minified loader lacks %s", word)
		}
	}
	// The loader never posts events: the widget does.
	for _, call := range []string{"fetch(", "sendBeacon", "XMLHttpRequest", "eval(", "Function("} {
		if strings.Contains(string(min), call) {
			t.Errorf("the loader calls %s", call)
		}
	}
	// Nor does it write markup or attributes: a style attribute, which a
	// strict CSP refuses, or HTML, which could carry one. Styles go through
	// the CSSOM (element.style), which CSPs allow.
	for _, call := range []string{"setAttribute", "innerHTML", "outerHTML", "insertAdjacentHTML", ".write("} {
		if strings.Contains(string(min), call) {
			t.Errorf("the loader uses %s", call)
		}
	}
	if res := get(t, s, "/embed.js", "If-None-Match", res.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match the ETag: status %d, want 304", res.StatusCode)
	}
	if res := get(t, s, "/embed.js", "Accept-Encoding", "br"); res.Header.Get("Content-Encoding") != "br" {
		t.Errorf("Accept-Encoding br: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
}

// TestFrameScriptServed checks the widget page's own script is served.
func TestFrameScriptServed(t *testing.T) {
	s, _ := newTestServer(t)
	res := get(t, s, "/frame.js")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/javascript; charset=utf-8" {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "forgefitPost") {
		t.Error("frame.js does not define forgefitPost")
	}
}
