package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/google/go-cmp/cmp"
)

const contentURL = "/api/v1/widgets/co-managed-vs-fully-managed"

func TestWidgetContentAPI(t *testing.T) {
	s, _ := newTestServer(t)
	want, err := s.cfg.Content.Widget("co-managed-vs-fully-managed", "en")
	if err != nil {
		t.Fatal(err)
	}

	res := get(t, s, contentURL+"?locale=en")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	etag := res.Header.Get("ETag")
	got := map[string]string{
		"Content-Type":  res.Header.Get("Content-Type"),
		"Cache-Control": res.Header.Get("Cache-Control"),
		"ETag":          etag,
	}
	if diff := cmp.Diff(map[string]string{
		"Content-Type":  "application/json; charset=utf-8",
		"Cache-Control": "public, max-age=300",
		"ETag":          `"` + want.Version + `"`,
	}, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	var w content.Widget
	if err := json.NewDecoder(res.Body).Decode(&w); err != nil {
		t.Fatal(err)
	}
	public := *want
	public.Review = nil // the notes for the client stay with us
	if diff := cmp.Diff(public, w); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	if res := get(t, s, contentURL); res.StatusCode != http.StatusOK {
		t.Errorf("no locale: status %d, want 200 (English)", res.StatusCode)
	}

	if res := get(t, s, contentURL, "If-None-Match", etag); res.StatusCode != http.StatusNotModified || res.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match: status %d, ETag %q; want 304 with the ETag", res.StatusCode, res.Header.Get("ETag"))
	}

	for _, tc := range []struct {
		name, target string
		status       int
		code         string
	}{
		{"unknown widget", "/api/v1/widgets/no-such-widget", 404, ENotFound},
		{"malformed widget", "/api/v1/widgets/Bad_ID", 404, ENotFound},
		{"unknown locale", contentURL + "?locale=fr", 404, ENotFound},
		{"unknown regional locale", contentURL + "?locale=en-gb", 404, ENotFound},
		{"malformed locale", contentURL + "?locale=%3Cscript%3E", 400, EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, s, tc.target)
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatalf("status %d, body not JSON: %v", res.StatusCode, err)
			}
			if res.StatusCode != tc.status || body.Error.Code != tc.code {
				t.Errorf("status %d code %q, want %d %q", res.StatusCode, body.Error.Code, tc.status, tc.code)
			}
		})
	}
}

// TestContentAPICORS checks the CORS matrix: a partner's origin may read,
// any other origin gets no Access-Control-Allow-Origin, and every answer
// varies by Origin.
func TestContentAPICORS(t *testing.T) {
	s, _ := newTestServer(t)
	for _, tc := range []struct {
		name, origin, allow string
	}{
		{"partner origin", "https://www.acme.com", "https://www.acme.com"},
		{"partner's other origin", "http://127.0.0.1:8081", "http://127.0.0.1:8081"},
		{"unknown origin", "https://evil.example", ""},
		{"partner host, other scheme", "http://www.acme.com", ""},
		{"no origin (same-origin or not a browser)", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var header []string
			if tc.origin != "" {
				header = []string{"Origin", tc.origin}
			}
			res := get(t, s, contentURL, header...)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != tc.allow {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.allow)
			}
			if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary = %q, want Origin in it", res.Header.Values("Vary"))
			}
			if tc.allow != "" && res.Header.Get("Access-Control-Expose-Headers") != "Etag" && res.Header.Get("Access-Control-Expose-Headers") != "ETag" {
				t.Errorf("Access-Control-Expose-Headers = %q, want ETag", res.Header.Get("Access-Control-Expose-Headers"))
			}
		})
	}

	preflight := func(origin, method string) *http.Response {
		r := httptest.NewRequest(http.MethodOptions, contentURL, nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", method)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Result()
	}
	if res := preflight("https://www.acme.com", "GET"); res.Header.Get("Access-Control-Allow-Origin") != "https://www.acme.com" {
		t.Errorf("preflight GET from a partner: ACAO %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
	for _, tc := range []struct{ origin, method string }{
		{"https://www.acme.com", "POST"},
		{"https://www.acme.com", "DELETE"},
		{"https://evil.example", "GET"},
	} {
		res := preflight(tc.origin, tc.method)
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("preflight %s from %s: ACAO %q, want none", tc.method, tc.origin, got)
		}
	}
	// Only GET is routed: other methods never reach the content.
	r := httptest.NewRequest(http.MethodPost, contentURL, strings.NewReader("{}"))
	r.Header.Set("Origin", "https://www.acme.com")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if body, _ := io.ReadAll(w.Result().Body); w.Code != http.StatusMethodNotAllowed || strings.Contains(string(body), "comparison") {
		t.Errorf("POST: status %d %s, want the JSON 405", w.Code, body)
	}
}
