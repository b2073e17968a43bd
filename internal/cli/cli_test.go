package cli

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ehforge/forgefit/server"
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
	partners, _ := server.NewPartners([]server.Partner{{ID: "acme", Name: "Acme", Origins: []string{"https://acme.com"},
		CTAURL: "https://acme.com/talk?ref=fit&utm_source=acme"}})
	h := newWidgetHandler(web, lib, nil)
	store, err := OpenStore(t.Context(), filepath.Join(dir, "forgefit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv, err := server.New(server.Config{Content: lib, Partners: partners, Web: web, Widgets: h, Store: store, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	routePages(srv)
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

// token32 is a token as long as the server accepts at the least.
const token32 = "0123456789abcdef0123456789abcdef"

func TestShortAdminTokenIsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string // in the error; "" for none
	}{
		{args: []string{"-admin-token", "a"}, want: "-admin-token is 1 characters; it must be at least 32. Make one with `forgefit token`"},
		{env: map[string]string{"FORGEFIT_ADMIN_TOKEN": token32[:31]}, want: "-admin-token is 31 characters"},
		{env: map[string]string{"FORGEFIT_SESSION_KEY": "secret"}, want: "-session-key is 6 characters"},
		{env: map[string]string{"FORGEFIT_ADMIN_TOKEN": token32}},
		{args: []string{"-demo"}}, // run makes a token (newToken) when none is given
		{},                        // no admin token: no admin access
	} {
		_, err := parseFlags(tc.args, func(k string) string { return tc.env[k] })
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v %v: %v, want no error", tc.args, tc.env, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v %v: %v, want an error with %q", tc.args, tc.env, err, tc.want)
		}
	}
	if n := len(newToken()); n < minSecretLen {
		t.Errorf("newToken (-demo's and `forgefit token`'s) makes %d characters, under %d", n, minSecretLen)
	}
}

func TestSecretsFromFilesAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
		return p
	}
	admin := file("admin", token32+"\n", 0o600)
	session := file("session", "  "+token32+"-session\r\n", 0o640)
	password := file("db-password", "p@ss:w/rd?#\n", 0o600)
	env := map[string]string{
		"FORGEFIT_SESSION_KEY_FILE": session,
		"FORGEFIT_DB":               "postgres://forgefit@db.internal:5432/forgefit?sslmode=require",
	}
	c, err := parseFlags([]string{"-admin-token-file", admin, "-db-password-file", password}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.adminToken, c.sessionKey, c.db}
	want := []string{token32, token32 + "-session", "postgres://forgefit:p%40ss%3Aw%2Frd%3F%23@db.internal:5432/forgefit?sslmode=require"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if u, err := url.Parse(c.db); err != nil || dbPassword(c.db) != "p@ss:w/rd?#" || u.User.Username() != "forgefit" {
		t.Errorf("db URL %s does not hold the password as written", c.db)
	}
	if len(c.warnings) != 0 {
		t.Errorf("warnings %q, want none: nothing secret on the command line, no file others read", c.warnings)
	}

	// The environment alone, as the README shows.
	env = map[string]string{"FORGEFIT_ADMIN_TOKEN": token32, "FORGEFIT_DB": "postgres://u:pw@db/forgefit"}
	if c, err := parseFlags(nil, func(k string) string { return env[k] }); err != nil || c.adminToken != token32 || c.db != env["FORGEFIT_DB"] || len(c.warnings) != 0 {
		t.Errorf("from the environment: %v %q %q, warnings %q", err, c.adminToken, c.db, c.warnings)
	}

	// Secrets on the command line still work, with a warning each.
	c, err = parseFlags([]string{"-admin-token", token32, "-session-key", token32, "-db", "postgres://u:pw@db/forgefit"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.warnings) != 3 || !strings.Contains(strings.Join(c.warnings, "\n"), "visible to every local user") {
		t.Errorf("warnings %q, want three saying ps shows them", c.warnings)
	}
	if c, _ := parseFlags([]string{"-session-key-file", file("open", token32, 0o644)}, func(string) string { return "" }); len(c.warnings) != 1 || !strings.Contains(c.warnings[0], "readable by every local user") {
		t.Errorf("a world-readable secret file: warnings %q", c.warnings)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-admin-token", token32, "-admin-token-file", admin}, "both set"},
		{[]string{"-admin-token-file", filepath.Join(dir, "missing")}, "-admin-token-file"},
		{[]string{"-admin-token-file", file("empty", "\n\n", 0o600)}, "is empty"},
		{[]string{"-admin-token-file", file("short", "abc\n", 0o600)}, "-admin-token is 3 characters"},
		{[]string{"-admin-token-file", file("big", strings.Repeat("x", 5000), 0o600)}, "over 4096 bytes"},
		{[]string{"-db-password-file", password}, "needs -db to be a postgres:// URL"},
		{[]string{"-db", "postgres://u:pw@db/x", "-db-password-file", password}, "give it once"},
	} {
		if _, err := parseFlags(tc.args, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
