package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		q    float64
		want float64
	}{
		{[]float64{3, 1, 2}, 0.5, 2},
		{[]float64{4, 1, 3, 2}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4, 5}, 0, 1},
		{[]float64{1, 2, 3, 4, 5}, 1, 5},
		{[]float64{10, 20}, 0.99, 19.9},
	} {
		if got := quantile(tc.xs, tc.q); got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("quantile(%v, %v) = %v, want %v", tc.xs, tc.q, got, tc.want)
		}
	}
	xs := []float64{3, 1, 2}
	median(xs)
	if diff := cmp.Diff([]float64{3, 1, 2}, xs); diff != "" {
		t.Errorf("median changed its input (-want +got):\n%s", diff)
	}
}

func TestGroupDigits(t *testing.T) {
	got := []string{groupDigits(0), groupDigits(999), groupDigits(1000), groupDigits(1419255), groupDigits(-20129)}
	want := []string{"0", "999", "1,000", "1,419,255", "-20,129"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groupDigits (-want +got):\n%s", diff)
	}
}

// TestStaticTable checks the reference keeps the page and its stylesheet
// and loses everything that is not static.
func TestStaticTable(t *testing.T) {
	page := `<!doctype html>
<html lang="en">
  <head>
    <link rel="icon" href="/icon.svg">
    <link rel="manifest" href="/manifest.webmanifest">
    <link href="/app.css" type="text/css" rel="stylesheet">
    <script defer src="/wasm_exec.js"></script>
    <meta name="forgefit-wasm" content="/web/app.1.wasm" data-version="1">
    <link rel="preload" href="/web/app.1.wasm" as="fetch">
  </head>
  <body>
    <main class="ff"><table><tr><td>x</td></tr></table>
      <script type="application/json" id="forgefit-content">{"a":"<\/b>"}</script>
    </main>
    <aside id="app-wasm-loader" class="goapp-app-info">
      <img src="/icon.png">
    </aside>
  </body>
</html>`
	got, err := staticTable([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"<script", "icon", "manifest", "forgefit-wasm", "preload", "app-wasm-loader"} {
		if strings.Contains(string(got), gone) {
			t.Errorf("the reference still has %q:\n%s", gone, got)
		}
	}
	for _, kept := range []string{`<link href="/app.css"`, "<table><tr><td>x</td></tr></table>", `<main class="ff">`} {
		if !strings.Contains(string(got), kept) {
			t.Errorf("the reference lost %q:\n%s", kept, got)
		}
	}
	if _, err := staticTable([]byte("<p>no table</p>")); err == nil {
		t.Error("a page without a table made a reference")
	}
}

func TestPainted(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    frameMarks
		want float64
	}{
		{"prerendered: the first contentful paint", frameMarks{TableInDOM: 100, FCP: 200, TablePainted: 600}, 200},
		{"table after the first paint: element timing", frameMarks{TableInDOM: 300, FCP: 200, TablePainted: 350}, 350},
		{"no paint yet", frameMarks{TableInDOM: 100}, 0},
		{"no table", frameMarks{FCP: 200}, 0},
	} {
		if got := tc.m.painted(); got != tc.want {
			t.Errorf("%s: painted() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBatchBody checks the load generator's batches have the wire format
// of DESIGN.md and fresh ids.
func TestBatchBody(t *testing.T) {
	var b struct {
		Partner, Widget, View string
		Page                  struct{ Origin, Path string }
		Events                []struct{ ID, Type, At string }
	}
	if err := json.Unmarshal(batchBody("http://127.0.0.1:1", 20), &b); err != nil {
		t.Fatal(err)
	}
	if b.Partner != benchPartner || b.Widget != widgetID || b.Page.Origin != "http://127.0.0.1:1" || len(b.Events) != 20 {
		t.Errorf("batch = %+v", b)
	}
	ids := map[string]bool{}
	for _, e := range append(b.Events, struct{ ID, Type, At string }{b.View, "widget_viewed", b.Events[0].At}) {
		if _, err := time.Parse(time.RFC3339Nano, e.At); err != nil || e.Type != "widget_viewed" {
			t.Errorf("event %+v", e)
		}
		id, err := uuid.Parse(e.ID)
		if err != nil || id.Version() != 7 || id.Variant() != uuid.RFC4122 {
			t.Errorf("id %q is not a UUIDv7: %v", e.ID, err)
		}
		sec, nsec := id.Time().UnixTime()
		if at := time.Unix(sec, nsec); time.Since(at) > time.Minute || time.Until(at) > time.Minute {
			t.Errorf("id %q carries the time %v", e.ID, at)
		}
		ids[e.ID] = true
	}
	if len(ids) != 21 {
		t.Errorf("%d distinct ids in 20 events and a view", len(ids))
	}
}

// TestRunLoad runs the load generator briefly against a test server that
// accepts everything but one request in four: it must count both, and stop
// by itself.
func TestRunLoad(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Origin") != "http://fit.test" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if n.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := runLoad(ctx, loadPlan{url: srv.URL, origin: "http://fit.test", partner: "http://127.0.0.1:1",
		events: 1, workers: 1, duration: 200 * time.Millisecond}, http.StatusAccepted)
	if ctx.Err() != nil {
		t.Fatal("runLoad did not stop by itself")
	}
	if r.requests == 0 || r.failures == 0 || r.firstFail != "status 503" || len(r.latencies) != r.requests {
		t.Errorf("requests %d, failures %d (first %q), %d latencies", r.requests, r.failures, r.firstFail, len(r.latencies))
	}
}

func TestReportTable(t *testing.T) {
	r := &Report{}
	r.add(budgetMax("app.wasm brotli over hello-world", 20129, "bytes", 60000, "≤ 60,000 B"),
		notAvailable("/embed.js gzipped", "≤ 1,200 B", "not served yet"),
		budgetMin("ingest / bare", 0.4, "x", 0.5, "≥ 0.5"))
	var b strings.Builder
	r.writeTable(&b)
	for _, want := range []string{"20,129 B", "pass", "n/a (not served yet)", "0.40x", "miss"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	if r.failed() {
		t.Error("a report with a miss and an n/a counts as failed; only errors should")
	}
}

// TestPartnerPage checks both ways the partner page embeds the widget: the
// loader snippet of DESIGN.md once /embed.js is served, a plain iframe
// before; and that host.js runs first, unescaped.
func TestPartnerPage(t *testing.T) {
	snippet, err := renderPartnerPage("http://localhost:1/embed.js", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<div data-forgefit-widget="co-managed-vs-fully-managed" data-forgefit-partner="bench"></div>`,
		`<script src="http://localhost:1/embed.js" async></script>`,
		"window.__forgefitBench = m;",
	} {
		if !strings.Contains(string(snippet), want) {
			t.Errorf("snippet page lacks %s:\n%s", want, snippet)
		}
	}
	if strings.Contains(string(snippet), "<iframe") {
		t.Error("the snippet page has an iframe of its own")
	}
	frameURL := widgetPageURL("http://localhost:1", "http://127.0.0.1:2", "/product")
	plain, err := renderPartnerPage("", frameURL)
	if err != nil {
		t.Fatal(err)
	}
	want := `<iframe title="Co-managed IT versus fully managed IT" src="http://localhost:1/w/co-managed-vs-fully-managed?origin=http%3A%2F%2F127.0.0.1%3A2&amp;partner=bench&amp;path=%2Fproduct"></iframe>`
	if !strings.Contains(string(plain), want) {
		t.Errorf("plain page lacks %s:\n%s", want, plain)
	}
}
