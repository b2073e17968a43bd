package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
		budgetMin("ingest / bare", 0.4, "x", 0.5, "≥ 0.5"),
		notAvailable("wasm takeover (cold, median)", "", "the widget marked no takeover; 7 of 7 loads"),
		info("widget height at 375 px", 1499.6, "px"))
	var b strings.Builder
	r.writeTable(&b)
	for _, want := range []string{"20,129 B", "pass", "n/a (not served yet)", "0.40x", "miss",
		"n/a (the widget marked no takeover)  ", "1500 px"} {
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
// before; that the snippet's placeholder has room reserved by
// placeholderRule only on the page that reserves it; and that host.js runs
// first, unescaped.
func TestPartnerPage(t *testing.T) {
	snippet, err := renderPartnerPage("http://localhost:1/embed.js", "", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<div data-forgefit-widget="co-managed-vs-fully-managed" data-forgefit-partner="bench"></div>`,
		`<script src="http://localhost:1/embed.js" async></script>`,
		"window.__forgefitBench = m;",
		"  " + placeholderRule + "\n</style>",
	} {
		if !strings.Contains(string(snippet), want) {
			t.Errorf("snippet page lacks %s:\n%s", want, snippet)
		}
	}
	if strings.Contains(string(snippet), "<iframe") {
		t.Error("the snippet page has an iframe of its own")
	}
	bare, err := renderPartnerPage("http://localhost:1/embed.js", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(bare), placeholderRule) {
		t.Errorf("the page reserving nothing has %s:\n%s", placeholderRule, bare)
	}
	if !strings.Contains(string(bare), `<div data-forgefit-widget=`) {
		t.Errorf("the page reserving nothing lacks the snippet:\n%s", bare)
	}
	frameURL := widgetPageURL("http://localhost:1", "http://127.0.0.1:2", "/product")
	plain, err := renderPartnerPage("", frameURL, false)
	if err != nil {
		t.Fatal(err)
	}
	want := `<iframe title="Co-managed IT versus fully managed IT" src="http://localhost:1/w/co-managed-vs-fully-managed?origin=http%3A%2F%2F127.0.0.1%3A2&amp;partner=bench&amp;path=%2Fproduct"></iframe>`
	if !strings.Contains(string(plain), want) {
		t.Errorf("plain page lacks %s:\n%s", want, plain)
	}
}

func TestFormProblem(t *testing.T) {
	for _, tc := range []struct {
		f    formState
		want string
	}{
		{formState{Form: true, Radios: 3, Next: "enabled"}, ""},
		{formState{Next: "missing"}, "no form#ff-quiz"},
		{formState{Form: true, Next: "enabled"}, "no enabled input[type=radio][name=option] in form#ff-quiz"},
		{formState{Form: true, Radios: 3, Next: "disabled"}, "button[name=do][value=next] disabled in form#ff-quiz"},
		{formState{Form: true, Radios: 3, Next: "missing"}, "button[name=do][value=next] missing in form#ff-quiz"},
	} {
		if got := tc.f.problem(); got != tc.want {
			t.Errorf("%+v: problem() = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestTakeover(t *testing.T) {
	for _, tc := range []struct {
		m        frameMarks
		want     float64
		wantFrom string
	}{
		{frameMarks{}, 0, ""},
		{frameMarks{Wasm: 900}, 900, `data-forgefit-wasm="true"`},
		{frameMarks{TakeoverMark: 880}, 880, "the forgefit:takeover mark"},
		{frameMarks{Wasm: 900, TakeoverMark: 880}, 880, "the forgefit:takeover mark"},
		{frameMarks{Wasm: 870, TakeoverMark: 880}, 870, `data-forgefit-wasm="true"`},
	} {
		got, from := tc.m.takeover()
		if got != tc.want || from != tc.wantFrom {
			t.Errorf("%+v: takeover() = %v, %q; want %v, %q", tc.m, got, from, tc.want, tc.wantFrom)
		}
	}
}

// TestNewLoad checks a load's figures from its marks: times from the
// partner page's navigation start, the host event before the attribute,
// and the widget's own layout shifts until the settling time after
// takeover only.
func TestNewLoad(t *testing.T) {
	host := hostMarks{NavStart: 1000, Ready: 1250, Shifts: []float64{0.01, 0.02}, IframeLoad: 1400,
		IframeHeight: 1800, Viewport: [2]float64{375, 667}}
	frame := frameMarks{NavStart: 1100, TableInDOM: 1150, FCP: 1180, Ready: 1240, LoadEnd: 1399,
		FormAtReady: &formState{Form: true, Radios: 3, Next: "enabled"}}
	frame.Wasm, frame.TakeoverMark, frame.WasmStarted = 2010, 2000, 1990
	frame.Shifts = [][2]float64{{1500, 0.001}, {2100, 0.002}, {4000, 0.5}}
	got := newLoad(host, frame, time.Second)
	want := load{Painted: 180, Interactive: 250, ReadyFrom: "forgefit:ready",
		Form: formState{Form: true, Radios: 3, Next: "enabled"}, FormRead: "the moment data-forgefit-ready was set",
		Takeover: 1000, TakeoverFrom: "the forgefit:takeover mark",
		CLS: 0.03, WidgetShift: 0.003, WidgetShiftBefore: 0.001,
		IframeHeight: 1800, Viewport: [2]float64{375, 667}, ClockLag: 1, HasLag: true}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("newLoad (-want +got):\n%s", diff)
	}

	host.Ready = 0
	frame.Wasm, frame.TakeoverMark = 0, 0
	got = newLoad(host, frame, time.Second)
	if got.Interactive != 240 || got.ReadyFrom != "data-forgefit-ready" {
		t.Errorf("without the host event: interactive %v from %q, want 240 from data-forgefit-ready", got.Interactive, got.ReadyFrom)
	}
	if got.Takeover != 0 || got.WidgetShift < 0.503-1e-9 || got.WidgetShift > 0.503+1e-9 {
		t.Errorf("without a takeover: takeover %v, widget shift %v; want 0 and every shift (0.503)", got.Takeover, got.WidgetShift)
	}
}

// benchLoad is a product load as the new widget page gives it.
func benchLoad(interactive, takeover, cls, widgetShift float64) load {
	return load{Painted: 200, Interactive: interactive, ReadyFrom: "forgefit:ready",
		Form: formState{Form: true, Radios: 3, Next: "enabled"}, FormRead: "the moment data-forgefit-ready was set",
		Takeover: takeover, TakeoverFrom: "the forgefit:takeover mark",
		CLS: cls, WidgetShift: widgetShift, IframeHeight: 1500, Viewport: [2]float64{375, 667},
		ClockLag: 0.5, HasLag: true}
}

// TestLoadFigures checks the page loads' rows, their order and budgets:
// for a widget page with the native form and the takeover, and for the
// page before them, whose ready waits for the wasm and whose takeover is
// not marked.
func TestLoadFigures(t *testing.T) {
	ref := []load{{Painted: 250, ClockLag: 0.4, HasLag: true}}
	phone := benchLoad(230, 1300, 0, 0)
	s := loadSamples{
		cold:  []load{benchLoad(240, 1200, 0.01, 0), benchLoad(280, 1400, 0.02, 0.0004)},
		warm:  []load{benchLoad(100, 300, 0, 0), benchLoad(110, 320, 0, 0)},
		bare:  []load{benchLoad(240, 1200, 0.27, 0)},
		ref:   append(ref, ref[0]),
		phone: &phone,
		embed: "loader snippet", settle: time.Second, warmIdle: 3 * time.Second,
	}
	type row struct {
		Name   string
		Value  string
		Budget string
		Status Status
	}
	rows := func(fs []Figure) []row {
		var rs []row
		for _, f := range fs {
			rs = append(rs, row{f.Name, f.text(), f.Budget, f.Status})
		}
		return rs
	}
	want := []row{
		{nPainted, "200 ms", "", Info},
		{nRef, "250 ms", "", Info},
		{nRatio, "0.80x", "≤ 1.15x", Pass},
		{nInteractive, "260 ms", "≤ 300 ms", Pass},
		{nInteractiveRef, "1.04x", "≤ 1.2x", Pass},
		{nWarm, "105 ms", "≤ 120 ms", Pass},
		{nTakeover, "1300 ms", "", Info},
		{nTakeoverWarm, "310 ms", "", Info},
		{nCLS, "0.020", "≤ 0.05", Pass},
		{nCLSBare, "0.270", "", Info},
		{nWidgetShift, "0.000", "≤ 0.000", Pass},
		{nPhoneHeight, "1500 px", "", Info},
	}
	got := loadFigures(s)
	if diff := cmp.Diff(want, rows(got)); diff != "" {
		t.Errorf("rows with the native form and the takeover (-want +got):\n%s", diff)
	}
	var names []string
	for _, f := range got {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff(pageLoadNames, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}

	// A shift of a thousandth at takeover misses.
	s.warm[1].WidgetShift = 0.0012
	if f := loadFigures(s)[10]; f.Status != Miss || f.text() != "0.001" {
		t.Errorf("widget shift 0.0012: %s %s, want 0.001 miss", f.text(), f.Status)
	}
	s.warm[1].WidgetShift = 0

	// Before the native form: ready comes with the wasm, no form#ff-quiz,
	// no takeover mark.
	old := func(l load) load {
		l.Form = formState{Next: "missing"}
		l.Takeover, l.TakeoverFrom, l.NoTakeover = 0, "", "the widget marked no takeover within 3000 ms of the client's start"
		return l
	}
	for _, ls := range [][]load{s.cold, s.warm, s.bare} {
		for i := range ls {
			ls[i] = old(ls[i])
		}
	}
	phone = old(phone)
	got = loadFigures(s)
	for _, r := range []struct {
		i    int
		name string
		text string
	}{
		{3, nInteractive, "n/a (no form#ff-quiz at ready in 2 of 2 loads)"},
		{4, nInteractiveRef, "n/a (interactive (cold) is n/a)"},
		{5, nWarm, "n/a (no form#ff-quiz at ready in 2 of 2 loads)"},
		{6, nTakeover, "n/a (the widget marked no takeover within 3000 ms of the client's start)"},
		{7, nTakeoverWarm, "n/a (the widget marked no takeover within 3000 ms of the client's start)"},
		{10, nWidgetShift, "n/a (no takeover)"},
	} {
		f := got[r.i]
		if f.Name != r.name || f.Status != NA || f.text() != r.text {
			t.Errorf("before the native form, row %d: %s %q; want %s %q", r.i, f.Name, f.text(), r.name, r.text)
		}
	}
	if want := "ready came at 260 ms (median, forgefit:ready), the form read the moment data-forgefit-ready was set"; !strings.Contains(got[3].Note, want) {
		t.Errorf("interactive's note %q lacks %q", got[3].Note, want)
	}
	if want := "the widget marked no takeover"; !strings.Contains(got[10].Note, want) {
		t.Errorf("widget shift's note %q lacks %q", got[10].Note, want)
	}
	if f := got[11]; f.Status != Info || !strings.Contains(f.Note, "after ready (no takeover") {
		t.Errorf("height at 375 px without a takeover: %s (%s)", f.Status, f.Note)
	}
	if f := got[3]; len(f.Samples) != 2 {
		t.Errorf("an n/a interactive keeps its samples in results.json: %v", f.Samples)
	}
	for _, i := range []int{0, 1, 2, 8, 9} {
		if got[i].Status == NA || got[i].Status == Error {
			t.Errorf("%s is %s without the native form: %s", got[i].Name, got[i].Status, got[i].Note)
		}
	}

	// Clocks that disagree fail every row.
	s.ref[0].ClockLag = -5
	for _, f := range loadFigures(s) {
		if f.Status != Error || !strings.Contains(f.Note, "clocks disagree") {
			t.Errorf("%s with disagreeing clocks: %s (%s)", f.Name, f.Status, f.Note)
		}
	}
	s.ref[0].ClockLag = 0.4

	// A run whose loads at 375 px and on the bare page failed reports
	// errors for those rows only.
	s.phone, s.phoneErr, s.bare = nil, errors.New("boom"), nil
	got = loadFigures(s)
	for i, f := range got {
		wantErr := i == 9 || i == 11
		if (f.Status == Error) != wantErr {
			t.Errorf("row %d %s: %s (%s)", i, f.Name, f.Status, f.Note)
		}
	}
}
