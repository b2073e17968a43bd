//go:build !wasm

package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/google/go-cmp/cmp"
)

func TestFlagsHaveEnvironmentTwins(t *testing.T) {
	env := map[string]string{"FORGEFIT_ADDR": ":9000", "FORGEFIT_DEMO": "true", "FORGEFIT_PUBLIC_URL": "https://fit.example", "FORGEFIT_DEMO_ADDR": "127.0.0.1:9001"}
	c, err := parseFlags([]string{"-addr", ":9100"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.addr, c.demo, c.publicURL, c.demoAddr, c.db}
	want := []any{":9100", true, "https://fit.example", "127.0.0.1:9001", "forgefit.db"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if _, err := parseFlags(nil, func(k string) string {
		if k == "FORGEFIT_DEMO" {
			return "maybe"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "FORGEFIT_DEMO") {
		t.Errorf("a bad environment value gives %v, want an error naming FORGEFIT_DEMO", err)
	}
}

func TestResolvePublicURL(t *testing.T) {
	for _, tc := range []struct{ raw, addr, want string }{
		{"", ":8080", "http://localhost:8080"},
		{"", "127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"https://fit.example.com/", ":8080", "https://fit.example.com"},
	} {
		u, err := resolvePublicURL(tc.raw, tc.addr)
		if err != nil || u.String() != tc.want {
			t.Errorf("resolvePublicURL(%q, %q) = %v, %v; want %s", tc.raw, tc.addr, u, err, tc.want)
		}
	}
	if _, err := resolvePublicURL("https://fit.example.com/app", ":8080"); err == nil {
		t.Error("a public URL with a path was accepted")
	}
}

// TestPrerender serves a widget page through the real go-app handler and
// checks the table and its data island are in the HTML a browser gets
// before any wasm runs.
func TestPrerender(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm fake"), 0o644)
	os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("//"), 0o644)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	web, err := server.LoadWeb(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	registerRoutes()
	partners, _ := server.NewPartners([]server.Partner{{ID: "acme", Name: "Acme", Origins: []string{"https://acme.com"},
		CTAURL: "https://acme.com/talk?ref=fit&utm_source=acme"}})
	h := newWidgetHandler(web, lib, nil)
	store, err := openStore(t.Context(), filepath.Join(dir, "forgefit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv, err := server.New(server.Config{Content: lib, Partners: partners, Web: web, Widgets: h, Store: store, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	widget.Source = srv.PartnerContent
	r := httptest.NewRequest("GET", "/w/co-managed-vs-fully-managed?partner=acme&theme=dark&accent=%22%3E%3Cscript%3E", nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	page := w.Body.String()

	var topics []string
	for _, m := range regexp.MustCompile(`<th scope="row">([^<]*)</th>`).FindAllStringSubmatch(page, -1) {
		topics = append(topics, m[1])
	}
	if diff := cmp.Diff([]string{"Ownership", "Change control", "Tickets", "Best fit", "Biggest risk"}, topics); diff != "" {
		t.Errorf("prerendered topics (-want +got):\n%s", diff)
	}
	island := regexp.MustCompile(`<script type="application/json" id="forgefit-content">(.*?)</script>`).FindStringSubmatch(page)
	if island == nil {
		t.Fatal("no content data island in the page")
	}
	var got content.Widget
	if err := json.Unmarshal([]byte(island[1]), &got); err != nil {
		t.Fatalf("data island: %v", err)
	}
	base, _ := lib.Widget("co-managed-vs-fully-managed", "en")
	want := *base
	want.Review = nil // for the client only
	// The partner's override, attributed to the partner.
	want.CTA.URL = "https://acme.com/talk?ref=fit&utm_campaign=acme&utm_medium=partner&utm_source=forgefit"
	// The partner's general URL serves every outcome it gave none for.
	want.CTA.Outcomes = nil
	for _, o := range base.Outcomes() {
		label, _ := base.CTA.For(o)
		want.CTA.Outcomes = append(want.CTA.Outcomes, content.OutcomeCTA{Outcome: o, Label: label, URL: want.CTA.URL})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("data island content (-want +got):\n%s", diff)
	}
	for _, must := range []string{
		`<html lang="en">`, `src="/app.js"`, `name="forgefit-wasm" content="` + web.WasmURL + `"`, `href="/icon.svg"`,
		`class="ff ff-theme-dark"`,
		// The call to action, through our server (which records it), in a
		// new tab.
		`href="/w/co-managed-vs-fully-managed/cta?partner=acme&theme=dark&v=`,
		`target="_blank"`, `rel="noopener"`,
		// The first question, a native form.
		`id="ff-quiz"`, `name="option"`,
	} {
		if !strings.Contains(page, must) {
			t.Errorf("page lacks %s", must)
		}
	}
	if strings.Contains(page, "disabled") {
		t.Error("the prerendered page has a disabled control: it must work before the wasm")
	}
	for _, never := range []string{"<script>", "githubusercontent", "app-worker.js", `="false"`, "style="} {
		if strings.Contains(page, never) {
			t.Errorf("page contains %q", never)
		}
	}
	// Every page is new (a first page makes a view id): never cached,
	// never revalidated to go-app's 304.
	if got := w.Header().Get("Cache-Control"); got != "no-store" || w.Header().Get("ETag") != "" {
		t.Errorf("Cache-Control %q, ETag %q; want no-store and none", got, w.Header().Get("ETag"))
	}
	r = httptest.NewRequest("GET", "/w/co-managed-vs-fully-managed?partner=acme", nil)
	r.Header.Set("If-None-Match", `"`+h.Version+`"`)
	w2 := httptest.NewRecorder()
	srv.ServeHTTP(w2, r)
	if w2.Code != http.StatusOK || !strings.Contains(w2.Body.String(), `id="ff-quiz"`) {
		t.Errorf("a revalidation of go-app's version got %d, want the page", w2.Code)
	}
}
