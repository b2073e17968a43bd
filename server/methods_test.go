package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestWrongMethodIs405WithAllow asks each route with a method it does not
// take: the answer is 405 with an Allow header naming the methods it does
// take (and a JSON error), not a 404. Each method Allow names is then
// tried: none of them is refused as a wrong method or an unknown route.
func TestWrongMethodIs405WithAllow(t *testing.T) {
	e := newIngestEnv(t, nil)
	for _, tc := range []struct {
		method, path string
		allow        string // "" for a 404
	}{
		{"GET", "/api/v1/events", "POST"},
		{"PUT", "/api/v1/events", "POST"},
		{"DELETE", "/api/v1/events", "POST"},
		{"POST", "/api/v1/stats", "GET, HEAD"},
		{"DELETE", "/api/v1/stats.csv", "GET, HEAD"},
		{"POST", "/api/v1/widgets/co-managed-vs-fully-managed", "GET, HEAD, OPTIONS"},
		{"PUT", "/w/co-managed-vs-fully-managed", "GET, HEAD, POST"},
		{"POST", "/w/co-managed-vs-fully-managed/cta", "GET, HEAD"},
		{"GET", "/dashboard/login", "POST"},
		{"GET", "/dashboard/logout", "POST"},
		{"GET", "/dashboard/share", "POST"},
		{"POST", "/dashboard", "GET, HEAD"},
		{"POST", "/metrics", "GET, HEAD"},
		{"POST", "/readyz", "GET, HEAD"},
		{"PATCH", "/embed.js", "GET, HEAD"},
		{"POST", "/robots.txt", "GET, HEAD"},
		{"POST", "/", "GET, HEAD"},
		// Paths no route has stay 404, whatever the method.
		{"GET", "/api/v1/nothing", ""},
		{"POST", "/api/v1/nothing", ""},
		{"DELETE", "/w", ""},
		{"GET", "/w/co-managed-vs-fully-managed/cta/more", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res, body := do(t, e.http.URL, tc.method, tc.path)
			want, code := http.StatusMethodNotAllowed, "method_not_allowed"
			if tc.allow == "" {
				want, code = http.StatusNotFound, "not_found"
			}
			if res.StatusCode != want || res.Header.Get("Allow") != tc.allow {
				t.Fatalf("%d with Allow %q; want %d with Allow %q", res.StatusCode, res.Header.Get("Allow"), want, tc.allow)
			}
			var got struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil || got.Error.Code != code {
				t.Errorf("body %q: want a JSON error with code %s", body, code)
			}
			for _, m := range strings.Split(tc.allow, ", ") {
				if m == "" || m == "OPTIONS" { // a CORS preflight's route: rs/cors answers preflights only
					continue
				}
				res, body := do(t, e.http.URL, m, tc.path)
				if res.StatusCode == http.StatusMethodNotAllowed || strings.Contains(body, "no route for") {
					t.Errorf("Allow names %s, but %s %s gives %d %s", m, m, tc.path, res.StatusCode, body)
				}
			}
		})
	}
}

func do(t *testing.T, base, method, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}
