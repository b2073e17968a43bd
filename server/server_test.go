package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/store"
)

// newTestServer builds a Server whose widget pages are answered by a
// recorder of the query they receive, with a small fake app.wasm.
func newTestServer(t *testing.T) (*Server, *[]url.Values) {
	t.Helper()
	dir := t.TempDir()
	wasm := bytes.Repeat([]byte("\x00asm fake module "), 4096)
	for name, b := range map[string][]byte{"app.wasm": wasm, "wasm_exec.js": []byte("// wasm_exec.js " + strings.Repeat("x", 1024))} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	web, err := LoadWeb(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	partners, err := NewPartners([]Partner{{ID: "acme", Name: "Acme", Origins: []string{"https://www.acme.com", "http://127.0.0.1:8081"}}})
	if err != nil {
		t.Fatal(err)
	}
	var queries []url.Values
	widgets := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.Query())
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<!doctype html><title>widget</title>")
	})
	s, err := New(Config{Content: lib, Partners: partners, Web: web, Widgets: widgets, Store: idleStore{}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return s, &queries
}

// idleStore stands in for a store in tests of routes that never touch one;
// ingest and stats are tested against a real SQLite file (ingest_test.go).
type idleStore struct{ store.Store }

func (idleStore) Ping(context.Context) error { return nil }
func (idleStore) Write(context.Context, []store.Batch) ([]store.Receipt, error) {
	return nil, errors.New("idleStore")
}

func get(t *testing.T, h http.Handler, target string, header ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func TestWasmServedPrecompressedFromHashedURL(t *testing.T) {
	s, _ := newTestServer(t)
	url := s.cfg.Web.WasmURL
	if !strings.HasPrefix(url, "/web/app.") || !strings.HasSuffix(url, ".wasm") {
		t.Fatalf("wasm URL %q is not content-hashed", url)
	}
	raw := s.cfg.Web.wasm.raw
	decode := map[string]func(io.Reader) ([]byte, error){
		"br": func(r io.Reader) ([]byte, error) { return io.ReadAll(brotli.NewReader(r)) },
		"gzip": func(r io.Reader) ([]byte, error) {
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, err
			}
			return io.ReadAll(zr)
		},
		"": io.ReadAll,
	}
	for _, tc := range []struct{ accept, want string }{
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"", ""},
		{"identity", ""},
	} {
		res := get(t, s, url, "Accept-Encoding", tc.accept)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("Accept-Encoding %q: status %d", tc.accept, res.StatusCode)
		}
		got := map[string]string{
			"Content-Type":     res.Header.Get("Content-Type"),
			"Content-Encoding": res.Header.Get("Content-Encoding"),
			"Vary":             res.Header.Get("Vary"),
			"Cache-Control":    res.Header.Get("Cache-Control"),
		}
		want := map[string]string{
			"Content-Type":     "application/wasm",
			"Content-Encoding": tc.want,
			"Vary":             "Accept-Encoding",
			"Cache-Control":    "public, max-age=31536000, immutable",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Accept-Encoding %q: headers (-want +got):\n%s", tc.accept, diff)
		}
		body, err := decode[tc.want](res.Body)
		if err != nil {
			t.Fatalf("Accept-Encoding %q: decoding: %v", tc.accept, err)
		}
		if !bytes.Equal(body, raw) {
			t.Errorf("Accept-Encoding %q: decoded body differs from app.wasm", tc.accept)
		}
	}
	etag := get(t, s, url).Header.Get("ETag")
	if res := get(t, s, url, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: status %d, want 304", etag, res.StatusCode)
	}
	if res := get(t, s, "/web/app.0000000000000000.wasm"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown wasm hash: status %d, want 404", res.StatusCode)
	}
}

func TestPrecompressedCopiesAreReused(t *testing.T) {
	dir := t.TempDir()
	wasm := bytes.Repeat([]byte("module "), 10000)
	os.WriteFile(filepath.Join(dir, "app.wasm"), wasm, 0o644)
	os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("//"), 0o644)
	br, gz, err := Precompress(dir)
	if err != nil {
		t.Fatal(err)
	}
	web, err := LoadWeb(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(web.wasm.br) != br || len(web.wasm.gz) != gz {
		t.Errorf("loaded br/gz sizes %d/%d, precompressed %d/%d", len(web.wasm.br), len(web.wasm.gz), br, gz)
	}
	// A new build gets new copies: the old ones are named by the old hash.
	os.WriteFile(filepath.Join(dir, "app.wasm"), append(wasm, "v2"...), 0o644)
	web2, err := LoadWeb(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if web2.WasmURL == web.WasmURL {
		t.Error("a changed app.wasm kept its URL")
	}
	r, _ := io.ReadAll(brotli.NewReader(bytes.NewReader(web2.wasm.br)))
	if !bytes.Equal(r, append(wasm, "v2"...)) {
		t.Error("the new build's brotli copy does not decode to the new app.wasm")
	}
}

func TestWidgetPage(t *testing.T) {
	s, queries := newTestServer(t)
	const page = "/w/co-managed-vs-fully-managed"
	for _, tc := range []struct {
		name   string
		target string
		status int
		query  url.Values // what the prerender receives
		code   string     // why the widget cannot start, for the loader
	}{
		{"unknown partner", page + "?partner=nobody", 404, nil, "partner"},
		{"no partner", page, 404, nil, "partner"},
		{"unknown widget", "/w/no-such-widget?partner=acme", 404, nil, "widget"},
		{"malformed widget", "/w/Bad_ID?partner=acme", 404, nil, "widget"},
		{"origin not the partner's", page + "?partner=acme&origin=https://evil.example", 403, nil, "origin"},
		{"malformed visit", page + "?partner=acme&s=9", 400, nil, ""},
		{"valid", page + "?partner=acme&origin=https://WWW.acme.com:443&locale=DE&theme=dark&view=table&accent=%23ABC&path=/it&utm_source=news&consent=required&test", 200,
			url.Values{"partner": {"acme"}, "origin": {"https://www.acme.com"}, "locale": {"de"}, "theme": {"dark"}, "view": {"table"}, "accent": {"#abc"},
				"path": {"/it"}, "utm_source": {"news"}, "consent": {"required"}, "test": {"1"}}, ""},
		{"invalid optional values are dropped, never echoed", page + `?partner=acme&accent=red"><script>&theme=neon&view=x&locale=<x>&path=javascript:alert(1)&utm_source=%3Cscript%3E&extra=1`, 200,
			url.Values{"partner": {"acme"}}, ""},
		{"a visit's parameters reach the prerender", page + "?partner=acme&v=0193c5a2-7b1c-7d2e-8f30-112233445566&s=1&a=nobody", 200,
			url.Values{"partner": {"acme"}, "v": {"0193c5a2-7b1c-7d2e-8f30-112233445566"}, "s": {"1"}, "a": {"nobody"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			*queries = nil
			res := get(t, s, tc.target)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status != 200 {
				if len(*queries) != 0 {
					t.Error("the widget was rendered for a refused request")
				}
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("error page Content-Type %q", ct)
				}
				// A widget that cannot start says why, through frame.js,
				// so the loader need not wait for its timeout.
				body, _ := io.ReadAll(res.Body)
				says := strings.Contains(string(body), `data-forgefit-error="`+tc.code+`"`) && strings.Contains(string(body), `<script src="/frame.js" defer>`)
				if tc.code != "" && !says || tc.code == "" && strings.Contains(string(body), "data-forgefit-error") {
					t.Errorf("error page for code %q:\n%s", tc.code, body)
				}
				return
			}
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors https://www.acme.com http://127.0.0.1:8081") {
				t.Errorf("CSP %q does not limit framing to the partner's origins", csp)
			}
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "'wasm-unsafe-eval'") {
				t.Errorf("CSP %q", csp)
			}
			if diff := cmp.Diff([]url.Values{tc.query}, *queries); diff != "" {
				t.Errorf("query given to the prerender (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCrawlerFilesNeverReachGoApp(t *testing.T) {
	s, queries := newTestServer(t)
	if res := get(t, s, "/robots.txt"); res.StatusCode != 200 {
		t.Errorf("/robots.txt: %d", res.StatusCode)
	}
	for _, p := range []string{"/sitemap.xml", "/ads.txt", "/app-worker.js", "/web/app.wasm"} {
		if res := get(t, s, p); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
	if len(*queries) != 0 {
		t.Errorf("go-app's handler was called %d times", len(*queries))
	}
}

func TestReadyzDrains(t *testing.T) {
	s, _ := newTestServer(t)
	if res := get(t, s, "/readyz"); res.StatusCode != 200 {
		t.Fatalf("/readyz before drain: %d", res.StatusCode)
	}
	s.Drain()
	if res := get(t, s, "/readyz"); res.StatusCode != 503 {
		t.Errorf("/readyz while draining: %d, want 503", res.StatusCode)
	}
	if res := get(t, s, "/healthz"); res.StatusCode != 200 {
		t.Errorf("/healthz while draining: %d, want 200", res.StatusCode)
	}
}

func TestUnknownRouteIsJSONError(t *testing.T) {
	s, _ := newTestServer(t)
	res := get(t, s, "/nope")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if want := `{"error":{"code":"not_found","message":"no route for GET /nope"}}` + "\n"; string(body) != want {
		t.Errorf("body %s, want %s", body, want)
	}
}
