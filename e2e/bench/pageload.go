package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/chromedp/chromedp"
)

// hostMarks is what host.js records in the partner page, with what the
// bench reads beside it (hostRead).
type hostMarks struct {
	NavStart   float64   `json:"navStart"`
	Ready      float64   `json:"ready"`
	Shifts     []float64 `json:"shifts"`
	IframeLoad float64   `json:"iframeLoad"`
	// The widget's iframe's height and the viewport's size, read with the
	// marks.
	IframeHeight float64    `json:"iframeHeight"`
	Viewport     [2]float64 `json:"viewport"`
	// For BENCH_DEBUG only.
	Heights      [][2]float64 `json:"heights"`
	ShiftSources [][]any      `json:"shiftSources"`
}

// hostRead reads the partner page's marks, the iframe's height and the
// viewport's size.
const hostRead = `(() => {
	const f = document.querySelector("iframe");
	return {...window.__forgefitBench, iframeHeight: f ? f.getBoundingClientRect().height : 0, viewport: [innerWidth, innerHeight]};
})()`

// frameMarks is what frame.js records in the iframe.
type frameMarks struct {
	NavStart     float64 `json:"navStart"`
	TableInDOM   float64 `json:"tableInDOM"`
	TablePainted float64 `json:"tablePainted"`
	FCP          float64 `json:"fcp"`
	Ready        float64 `json:"ready"`
	// FormAtReady is the first question's form the moment
	// data-forgefit-ready was set; nil if it never was.
	FormAtReady  *formState   `json:"formAtReady"`
	Wasm         float64      `json:"wasm"`         // data-forgefit-wasm="true" set
	TakeoverMark float64      `json:"takeoverMark"` // performance.mark("forgefit:takeover")
	WasmStarted  float64      `json:"wasmStarted"`  // app.js's forgefit:go-yielded mark
	Error        string       `json:"error"`        // "wasm" when app.js set data-forgefit-wasm-error
	Shifts       [][2]float64 `json:"shifts"`       // [time, value], without recent input
	LoadEnd      float64      `json:"loadEnd"`
	// For BENCH_DEBUG only: [ms in the iframe, score, what moved...].
	ShiftSources [][]any `json:"shiftSources"`
}

// takeover returns when the wasm took over the widget, as an absolute time
// (0 if it has not), and what said so: the earlier of the widget's
// performance mark and the attribute it sets.
func (m frameMarks) takeover() (float64, string) {
	switch {
	case m.TakeoverMark > 0 && (m.Wasm == 0 || m.TakeoverMark <= m.Wasm):
		return m.TakeoverMark, "the forgefit:takeover mark"
	case m.Wasm > 0:
		return m.Wasm, `data-forgefit-wasm="true"`
	}
	return 0, ""
}

// formState is the first question's form as frame.js finds it: the widget
// page's contract is form#ff-quiz with radios named option and an enabled
// submit button do=next.
type formState struct {
	Form   bool   `json:"form"`
	Radios int    `json:"radios"` // enabled input[type=radio][name=option]
	Next   string `json:"next"`   // button[name=do][value=next]: "enabled", "disabled" or "missing"
}

// problem says why the first question could not be answered and submitted
// with the form in this state; "" when it could.
func (f formState) problem() string {
	switch {
	case !f.Form:
		return "no form#ff-quiz"
	case f.Radios == 0:
		return "no enabled input[type=radio][name=option] in form#ff-quiz"
	case f.Next != "enabled":
		return "button[name=do][value=next] " + f.Next + " in form#ff-quiz"
	}
	return ""
}

// load is one page load's figures, in ms from the partner page's
// navigation start.
type load struct {
	Painted     float64 // table first painted inside the iframe; 0 if never
	Interactive float64 // ready to answer; 0 if never
	ReadyFrom   string  // "forgefit:ready" (the loader's host event) or "data-forgefit-ready"
	// Form is the first question's form when ready came; FormRead says
	// when it was read.
	Form     formState
	FormRead string
	// Takeover is when the wasm took over; 0 if it did not, and NoTakeover
	// says why.
	Takeover     float64
	TakeoverFrom string
	NoTakeover   string
	// CLS is the partner page's layout shift; WidgetShift the iframe
	// document's own, until the settling time after takeover, of which
	// WidgetShiftBefore came before takeover.
	CLS, WidgetShift, WidgetShiftBefore float64
	IframeHeight                        float64    // the widget's iframe at the end, in px
	Viewport                            [2]float64 // the partner page's, in px
	// ClockLag is how long after the iframe's load event ended, by the
	// iframe's clock, the partner page saw it, by its own clock: a few ms
	// of messaging when the clocks agree, negative when they do not.
	ClockLag float64
	HasLag   bool
}

// newLoad turns one load's final marks into its figures. settle is how
// long after takeover the iframe's layout shifts count.
func newLoad(host hostMarks, frame frameMarks, settle time.Duration) load {
	l := load{Painted: frame.painted() - host.NavStart, IframeHeight: host.IframeHeight, Viewport: host.Viewport}
	switch {
	case host.Ready > 0:
		l.Interactive, l.ReadyFrom = host.Ready-host.NavStart, "forgefit:ready"
	case frame.Ready > 0:
		l.Interactive, l.ReadyFrom = frame.Ready-host.NavStart, "data-forgefit-ready"
	}
	if frame.FormAtReady != nil {
		l.Form, l.FormRead = *frame.FormAtReady, "the moment data-forgefit-ready was set"
	}
	for _, s := range host.Shifts {
		l.CLS += s
	}
	t, from := frame.takeover()
	if t > 0 {
		l.Takeover, l.TakeoverFrom = t-host.NavStart, from
	}
	until := t + float64(settle.Milliseconds())
	for _, s := range frame.Shifts {
		if t > 0 && s[0] > until {
			continue
		}
		l.WidgetShift += s[1]
		if t > 0 && s[0] < t {
			l.WidgetShiftBefore += s[1]
		}
	}
	if host.IframeLoad > 0 && frame.LoadEnd > 0 {
		l.ClockLag, l.HasLag = host.IframeLoad-frame.LoadEnd, true
	}
	return l
}

// painted returns when the table was first painted, as an absolute time.
// A table in the document by the first contentful paint is painted by it
// (it is in the viewport, and the paint timing's time is the frame's
// presentation); a table that arrives later is timed by Element Timing.
// Element Timing is not used for both: Chromium does not always report the
// prerendered cells (it then reports the client's, after the mount).
func (m frameMarks) painted() float64 {
	switch {
	case m.FCP > 0 && m.TableInDOM > 0 && m.TableInDOM <= m.FCP:
		return m.FCP
	case m.TablePainted > 0:
		return m.TablePainted
	}
	return 0
}

// loadOptions bound one load.
type loadOptions struct {
	timeout     time.Duration // navigation to interactive, and to takeover
	settle      time.Duration // after takeover (or interactive), for late layout shifts
	interactive bool          // wait for ready to answer; false for the reference
	// takeover waits for the wasm's takeover too, until the load's
	// timeout, or until takeoverGrace after the wasm started without one
	// (a widget that does not mark its takeover).
	takeover      bool
	takeoverGrace time.Duration
}

// takeoverGrace is how long after app.js's forgefit:go-yielded mark (Go's
// first run returned: the client has mounted) a load still waits for the
// widget to mark its takeover. A widget that predates the mark would
// otherwise keep each load waiting for its whole limit.
const takeoverGrace = 3 * time.Second

// measureLoad navigates the tab to pageURL and reads the marks once the
// widget is interactive (or, for the reference, the table painted) and
// taken over by the wasm (when o.takeover), then again after a settling
// time so late layout shifts count.
//
// The partner page's navigation start is its performance.timeOrigin; frame
// times are absolute (timeOrigin + now() in the iframe), so
// frame time - host timeOrigin is ms from the partner page's navigation
// start even though the two documents have different time origins.
func (b *browserSession) measureLoad(parent context.Context, pageURL string, o loadOptions) (load, error) {
	b.frames.forget()
	ctx, cancel := context.WithTimeout(parent, o.timeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		return load{}, fmt.Errorf("navigating to %s: %w", pageURL, err)
	}
	var host hostMarks
	var frame frameMarks
	read := func(ctx context.Context) error {
		var err error
		if host, err = chromedp.Run(ctx, chromedp.Evaluate[hostMarks](hostRead)); err != nil {
			return fmt.Errorf("reading the partner page's marks: %w", err)
		}
		if _, err := b.frames.evalFrame(ctx, `window.__forgefitBench || null`, &frame); err != nil {
			return fmt.Errorf("reading the iframe's marks: %w", err)
		}
		return nil
	}
	done := func() bool {
		if frame.painted() == 0 {
			return false
		}
		return !o.interactive || host.Ready > 0 || frame.Ready > 0
	}
	for {
		if err := read(ctx); err != nil {
			return load{}, err
		}
		if done() {
			break
		}
		select {
		case <-ctx.Done():
			return load{}, waitError(frame, host, o)
		case <-time.After(50 * time.Millisecond):
		}
	}
	// frame.js reads the form the moment data-forgefit-ready is set; a
	// ready that came only as the host event has its form read now.
	var formNow *formState
	if o.interactive && frame.FormAtReady == nil {
		var f formState
		ok, err := b.frames.evalFrame(ctx, `window.__forgefitBenchForm ? window.__forgefitBenchForm() : null`, &f)
		if err != nil {
			return load{}, fmt.Errorf("reading the iframe's form: %w", err)
		}
		if ok {
			formNow = &f
		}
	}
	noTakeover := ""
	if o.takeover {
		noTakeover = waitTakeover(ctx, o, &frame, read)
	}
	// The settling time is on top of the load's limit.
	ctx, cancelSettle := context.WithTimeout(parent, o.settle+10*time.Second)
	defer cancelSettle()
	select {
	case <-ctx.Done():
	case <-time.After(o.settle):
	}
	if err := read(ctx); err != nil {
		return load{}, err
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		b.debugLoad(ctx, pageURL, host, frame)
	}
	l := newLoad(host, frame, o.settle)
	if formNow != nil {
		l.Form, l.FormRead = *formNow, "when the bench saw the ready event"
	}
	if o.interactive && l.FormRead == "" {
		l.Form, l.FormRead = formState{Next: "missing"}, "never: no document in the iframe"
	}
	if o.takeover && l.Takeover == 0 {
		l.NoTakeover = noTakeover
		if l.NoTakeover == "" {
			l.NoTakeover = "the widget marked no takeover"
		}
	}
	return l, nil
}

// waitTakeover polls the iframe's marks until the wasm has taken over, and
// otherwise says why it stopped waiting: the wasm failed, it started and
// did not mark a takeover within o.takeoverGrace, or the load's limit came.
func waitTakeover(ctx context.Context, o loadOptions, frame *frameMarks, read func(context.Context) error) string {
	var started time.Time
	for {
		if t, _ := frame.takeover(); t > 0 {
			return ""
		}
		if frame.Error != "" {
			return "the wasm failed to start (data-forgefit-wasm-error)"
		}
		if frame.WasmStarted > 0 {
			if started.IsZero() {
				started = time.Now()
			} else if time.Since(started) >= o.takeoverGrace {
				return fmt.Sprintf("the widget marked no takeover within %s of the client's start", ms(o.takeoverGrace))
			}
		}
		limit := fmt.Sprintf("the widget marked no takeover within the load's limit of %v", o.timeout)
		select {
		case <-ctx.Done():
			return limit
		case <-time.After(50 * time.Millisecond):
		}
		if err := read(ctx); err != nil {
			return limit + ": " + err.Error()
		}
	}
}

// debugLoad prints a load's raw marks and the iframe's own timeline, for
// BENCH_DEBUG.
func (b *browserSession) debugLoad(ctx context.Context, pageURL string, host hostMarks, frame frameMarks) {
	rel := func(t float64) float64 {
		if t == 0 {
			return 0
		}
		return t - host.NavStart
	}
	fmt.Fprintf(os.Stderr, "bench: %s\n  host  %+v\n  frame %+v\n  (relative: nav %.0f, dom %.0f, painted %.0f, fcp %.0f, ready %.0f, wasm %.0f, takeover mark %.0f, go-yielded %.0f)\n",
		pageURL, host, frame, rel(frame.NavStart), rel(frame.TableInDOM), rel(frame.TablePainted), rel(frame.FCP),
		rel(frame.Ready), rel(frame.Wasm), rel(frame.TakeoverMark), rel(frame.WasmStarted))
	// The iframe's own timeline, in ms from the partner page's navigation
	// start: its navigation phases, each resource it fetched, and the
	// performance marks the product set.
	var timeline []string
	if _, err := b.frames.evalFrame(ctx, `(() => {
		const off = performance.timeOrigin - `+fmt.Sprint(host.NavStart)+`, f = (t) => (off + t).toFixed(0), out = [];
		const n = performance.getEntriesByType("navigation")[0];
		if (n) out.push("document: request " + f(n.requestStart) + ", response " + f(n.responseStart) + "-" + f(n.responseEnd) + ", interactive " + f(n.domInteractive) + ", DOMContentLoaded " + f(n.domContentLoadedEventEnd) + ", load " + f(n.loadEventEnd));
		for (const r of performance.getEntriesByType("resource")) out.push(r.initiatorType + " " + new URL(r.name).pathname + ": start " + f(r.startTime) + ", response " + f(r.responseStart) + "-" + f(r.responseEnd) + ", " + r.transferSize + " B over the wire");
		for (const m of performance.getEntriesByType("mark")) out.push("mark " + m.name + ": " + f(m.startTime));
		for (const m of performance.getEntriesByType("measure")) out.push("measure " + m.name + ": " + f(m.startTime) + " +" + m.duration.toFixed(0));
		return out;
	})()`, &timeline); err == nil {
		for _, line := range timeline {
			fmt.Fprintf(os.Stderr, "  | %s\n", line)
		}
	}
}

func waitError(frame frameMarks, host hostMarks, o loadOptions) error {
	switch {
	case frame.NavStart == 0:
		return fmt.Errorf("no iframe reported within %v", o.timeout)
	case frame.painted() == 0:
		return fmt.Errorf("the table was not painted within %v", o.timeout)
	}
	return fmt.Errorf("the widget was not interactive within %v", o.timeout)
}

// pageLoadPlan is what the page-load figures need.
type pageLoadPlan struct {
	chromium   string
	profiles   string // where the fresh profiles go
	productURL string // partner page embedding the product, room reserved
	bareURL    string // the same, nothing reserved
	refURL     string // partner page embedding the reference
	loads      int    // cold loads of each, each in a fresh browser
	timeout    time.Duration
	settle     time.Duration
	warmIdle   time.Duration // before the warm load: lets Chromium write its compiled-wasm cache
	snippet    bool          // the product page uses the loader
}

// The page loads' figures, in the order of the report.
const (
	nPainted        = "table painted (cold, median)"
	nRef            = "reference table painted (cold, median)"
	nRatio          = "table painted / reference"
	nInteractive    = "interactive (cold, median)"
	nInteractiveRef = "interactive / reference (cold)"
	nWarm           = "interactive (warm, median)"
	nTakeover       = "wasm takeover (cold, median)"
	nTakeoverWarm   = "wasm takeover (warm, median)"
	nCLS            = "layout shift on the partner page, room reserved (max)"
	nCLSBare        = "layout shift on the partner page, nothing reserved (max)"
	nWidgetShift    = "layout shift inside the widget at takeover (max)"
	nPhoneHeight    = "widget height at 375 px"
)

var pageLoadNames = []string{nPainted, nRef, nRatio, nInteractive, nInteractiveRef, nWarm,
	nTakeover, nTakeoverWarm, nCLS, nCLSBare, nWidgetShift, nPhoneHeight}

var pageLoadBudgets = map[string]string{
	nRatio: "≤ 1.15x", nInteractive: "≤ 300 ms", nInteractiveRef: "≤ 1.2x", nWarm: "≤ 120 ms",
	nCLS: "≤ 0.05", nWidgetShift: "≤ 0.000",
}

// loadSamples is every page load of a run.
type loadSamples struct {
	cold, warm []load // the product page, each warm load in its cold load's browser
	bare       []load // the product page reserving nothing
	ref        []load // the reference
	phone      *load  // the product page at 375 px; nil if it failed
	phoneErr   error
	errs       []error // failed loads
	embed      string  // how the product page embeds the widget
	settle     time.Duration
	warmIdle   time.Duration
}

// pageLoads runs the cold loads of the product, the reference and the
// product on a page that reserves nothing, alternating so that noise falls
// on all alike, a warm load in each product browser, and one load at a
// phone's width. It returns the figures with their budgets.
func pageLoads(ctx context.Context, p pageLoadPlan) []Figure {
	s := loadSamples{embed: "plain iframe (no loader served yet)", settle: p.settle, warmIdle: p.warmIdle}
	if p.snippet {
		s.embed = "loader snippet"
	}
	for i := 0; i < p.loads; i++ {
		if ctx.Err() != nil {
			s.errs = append(s.errs, fmt.Errorf("out of time after %d loads", i))
			break
		}
		if c, w, err := p.productLoad(ctx); err != nil {
			s.errs = append(s.errs, fmt.Errorf("product load %d: %w", i+1, err))
		} else {
			s.cold, s.warm = append(s.cold, c), append(s.warm, w)
		}
		if r, err := p.coldLoad(ctx, p.refURL, p.referenceOptions(), windowSize()); err != nil {
			s.errs = append(s.errs, fmt.Errorf("reference load %d: %w", i+1, err))
		} else {
			s.ref = append(s.ref, r)
		}
		if l, err := p.coldLoad(ctx, p.bareURL, p.productOptions(), windowSize()); err != nil {
			s.errs = append(s.errs, fmt.Errorf("load %d of the page reserving nothing: %w", i+1, err))
		} else {
			s.bare = append(s.bare, l)
		}
	}
	if l, err := p.coldLoad(ctx, p.productURL, p.productOptions(), phoneWindow); err != nil {
		s.phoneErr = fmt.Errorf("load at %dx%d: %w", phoneWindow[0], phoneWindow[1], err)
	} else {
		s.phone = &l
	}
	return loadFigures(s)
}

// loadFigures makes the page loads' figures from their samples.
func loadFigures(s loadSamples) []Figure {
	failAll := func(err error) []Figure {
		var fs []Figure
		for _, n := range pageLoadNames {
			fs = append(fs, failure(n, pageLoadBudgets[n], err))
		}
		return fs
	}
	if len(s.cold) == 0 || len(s.ref) == 0 {
		return failAll(errors.Join(s.errs...))
	}
	// The figures subtract the partner page's time origin from the
	// iframe's absolute times, which another process's clock gives: they
	// hold only if the two clocks agree.
	all := slices.Concat(s.cold, s.warm, s.ref, s.bare)
	if s.phone != nil {
		all = append(all, *s.phone)
	}
	var lags []float64
	for _, l := range all {
		if l.HasLag {
			lags = append(lags, l.ClockLag)
		}
	}
	clock := "clock check: no load event to compare"
	if len(lags) > 0 {
		lo, hi := slices.Min(lags), slices.Max(lags)
		if lo < -1 {
			return failAll(fmt.Errorf("the partner page saw an iframe's load %.1f ms before it ended: the documents' clocks disagree", -lo))
		}
		clock = fmt.Sprintf("clock check: the partner page saw the iframe's load %.1f to %.1f ms after it ended", lo, hi)
	}
	painted, ref := samples(s.cold, func(l load) float64 { return l.Painted }), samples(s.ref, func(l load) float64 { return l.Painted })
	fs := []Figure{
		{Name: nPainted, Value: median(painted), Unit: "ms", Status: Info, Samples: painted, Note: "embed: " + s.embed + "; " + clock},
		{Name: nRef, Value: median(ref), Unit: "ms", Status: Info, Samples: ref},
		budgetMax(nRatio, median(painted)/median(ref), "x", 1.15, pageLoadBudgets[nRatio]),
	}
	cold := interactiveFigure(nInteractive, s.cold, 300)
	ratio := notAvailable(nInteractiveRef, pageLoadBudgets[nInteractiveRef], "interactive (cold) is n/a")
	if cold.Status != NA {
		ratio = budgetMax(nInteractiveRef, cold.Value/median(ref), "x", 1.2, pageLoadBudgets[nInteractiveRef])
		ratio.Note = "interactive (cold, median) over the reference's table painted (cold, median)"
	}
	warm := interactiveFigure(nWarm, s.warm, 120)
	warm.Note = joinNote(warm.Note, "second load, same profile, after "+ms(s.warmIdle)+" idle")
	fs = append(fs, cold, ratio, warm,
		takeoverFigure(nTakeover, s.cold),
		takeoverFigure(nTakeoverWarm, s.warm),
		clsFigure(nCLS, s.cold, "placeholder styled `"+placeholderRule+"`", s.settle),
		clsFigure(nCLSBare, s.bare, "placeholder with no rule of its own", s.settle),
		widgetShiftFigure(s),
		phoneFigure(s),
	)
	if len(s.cold) < 5 || len(s.ref) < 5 {
		for i := range fs {
			fs[i].Note = joinNote(fs[i].Note, fmt.Sprintf("only %d product and %d reference loads: the report wants 5 or more", len(s.cold), len(s.ref)))
		}
	}
	if len(s.errs) > 0 {
		for i := range fs {
			fs[i].Note = joinNote(fs[i].Note, fmt.Sprintf("%d failed loads: %v", len(s.errs), errors.Join(s.errs...)))
		}
	}
	return fs
}

// interactiveFigure is the median time to ready over loads, against limit
// ms. It is n/a when, in any load, ready came while the first question
// could not be answered and submitted: the widget then said ready too
// soon, or the native form has not landed, and a time would be a false
// pass.
func interactiveFigure(name string, loads []load, limit float64) Figure {
	budget := pageLoadBudgets[name]
	xs := samples(loads, func(l load) float64 { return l.Interactive })
	if len(xs) == 0 {
		return notAvailable(name, budget, "no load")
	}
	problem, bad := "", 0
	var first load
	for _, l := range loads {
		if p := l.Form.problem(); p != "" {
			if bad == 0 {
				problem, first = p, l
			}
			bad++
		}
	}
	if bad > 0 {
		f := notAvailable(name, budget, fmt.Sprintf("%s at ready in %d of %d loads; ready came at %.0f ms (median, %s), the form read %s",
			problem, bad, len(loads), median(xs), first.ReadyFrom, first.FormRead))
		f.Samples = xs
		return f
	}
	f := budgetMax(name, median(xs), "ms", limit, budget)
	f.Samples, f.Note = xs, "from "+loads[0].ReadyFrom+"; form#ff-quiz answerable then (read "+loads[0].FormRead+")"
	return f
}

// takeoverFigure is the median time to the wasm's takeover over the loads
// that saw one; n/a, with the reason, when none did.
func takeoverFigure(name string, loads []load) Figure {
	var xs, after []float64
	var why []string
	from := ""
	for _, l := range loads {
		if l.Takeover == 0 {
			why = append(why, l.NoTakeover)
			continue
		}
		xs = append(xs, l.Takeover)
		from = l.TakeoverFrom
		if l.Interactive > 0 {
			after = append(after, l.Takeover-l.Interactive)
		}
	}
	if len(xs) == 0 {
		if len(why) == 0 {
			return notAvailable(name, "", "no load")
		}
		return notAvailable(name, "", why[0])
	}
	f := info(name, median(xs), "ms")
	f.Samples, f.Note = xs, "from "+from
	if len(after) > 0 {
		f.Note += fmt.Sprintf("; %.0f ms after interactive (median)", median(after))
	}
	if len(why) > 0 {
		f.Note += fmt.Sprintf("; %d of %d loads saw none: %s", len(why), len(loads), why[0])
	}
	return f
}

// clsFigure is the worst of the loads' layout shifts on the partner page.
func clsFigure(name string, loads []load, page string, settle time.Duration) Figure {
	budget := pageLoadBudgets[name]
	if len(loads) == 0 {
		return failure(name, budget, errors.New("no load of that page"))
	}
	xs := samples(loads, func(l load) float64 { return l.CLS })
	f := info(name, maxOf(xs), "")
	if budget != "" {
		f = budgetMax(name, maxOf(xs), "", 0.05, budget)
	}
	f.Samples = xs
	f.Note = fmt.Sprintf("%s; the partner page's layout shifts until %s after takeover (or ready, without one)", page, ms(settle))
	return f
}

// widgetShiftFigure is the worst, over every load of the product that saw
// the takeover, of the iframe document's own layout shifts until the
// settling time after it. Its budget is none at all: it passes only at
// 0.000.
func widgetShiftFigure(s loadSamples) Figure {
	budget := pageLoadBudgets[nWidgetShift]
	loads := slices.Concat(s.cold, s.warm, s.bare)
	if s.phone != nil {
		loads = append(loads, *s.phone)
	}
	var xs []float64
	before, after := 0.0, 0.0
	why := "no load"
	for _, l := range loads {
		if l.Takeover == 0 {
			why = l.NoTakeover
			continue
		}
		xs = append(xs, l.WidgetShift)
		before, after = max(before, l.WidgetShiftBefore), max(after, l.WidgetShift-l.WidgetShiftBefore)
	}
	if len(xs) == 0 {
		return notAvailable(nWidgetShift, budget, "no takeover; "+why)
	}
	v := maxOf(xs)
	st := Pass
	if math.Round(v*1000) != 0 {
		st = Miss
	}
	return Figure{Name: nWidgetShift, Value: v, Budget: budget, Status: st, Samples: xs,
		Note: fmt.Sprintf("the widget document's own layout shifts from its start until %s after takeover, worst of %d loads (cold, warm, nothing reserved, 375 px); of a load's, at most %.3f came before takeover and %.3f from takeover on",
			ms(s.settle), len(xs), before, after)}
}

// phoneFigure is the widget's iframe's height at the end of the load at a
// phone's width.
func phoneFigure(s loadSamples) Figure {
	if s.phone == nil {
		err := s.phoneErr
		if err == nil {
			err = errors.New("no load at 375 px")
		}
		return failure(nPhoneHeight, "", err)
	}
	l := s.phone
	if l.IframeHeight <= 0 {
		return failure(nPhoneHeight, "", errors.New("no iframe in the partner page at the end of the load"))
	}
	if l.Viewport[0] != float64(phoneWindow[0]) {
		return failure(nPhoneHeight, "", fmt.Errorf("the partner page's viewport was %.0fx%.0f, not %d px wide", l.Viewport[0], l.Viewport[1], phoneWindow[0]))
	}
	when := "takeover"
	if l.Takeover == 0 {
		when = "ready (no takeover: " + l.NoTakeover + ")"
	}
	f := info(nPhoneHeight, l.IframeHeight, "px")
	f.Note = fmt.Sprintf("the iframe's height %s after %s; viewport %.0fx%.0f, room reserved; partner-page layout shift there %.3f",
		ms(s.settle), when, l.Viewport[0], l.Viewport[1], l.CLS)
	return f
}

// productOptions are the options of a load of the product.
func (p pageLoadPlan) productOptions() loadOptions {
	return loadOptions{timeout: p.timeout, settle: p.settle, interactive: true, takeover: true, takeoverGrace: takeoverGrace}
}

// referenceOptions are the options of a load of the reference.
func (p pageLoadPlan) referenceOptions() loadOptions {
	return loadOptions{timeout: p.timeout, settle: p.settle}
}

// productLoad is a cold load of the product page in a new browser, then a
// warm one in the same browser.
func (p pageLoadPlan) productLoad(ctx context.Context) (cold, warm load, err error) {
	b, err := newBrowserSession(ctx, p.chromium, p.profiles, frameJS, windowSize())
	if err != nil {
		return cold, warm, err
	}
	defer b.cancel()
	if cold, err = b.measureLoad(b.ctx, p.productURL, p.productOptions()); err != nil {
		return cold, warm, err
	}
	select {
	case <-ctx.Done():
		return cold, warm, ctx.Err()
	case <-time.After(p.warmIdle):
	}
	warm, err = b.measureLoad(b.ctx, p.productURL, p.productOptions())
	return cold, warm, err
}

// coldLoad is a load of pageURL in a new browser with a window of size.
func (p pageLoadPlan) coldLoad(ctx context.Context, pageURL string, o loadOptions, size [2]int) (load, error) {
	if ctx.Err() != nil {
		return load{}, ctx.Err()
	}
	b, err := newBrowserSession(ctx, p.chromium, p.profiles, frameJS, size)
	if err != nil {
		return load{}, err
	}
	defer b.cancel()
	return b.measureLoad(b.ctx, pageURL, o)
}

// loaderServed reports whether the product serves /embed.js yet.
func loaderServed(productURL string) bool {
	res, err := http.Head(productURL + "/embed.js")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// samples returns one figure of each load.
func samples(loads []load, of func(load) float64) []float64 {
	xs := make([]float64, len(loads))
	for i, l := range loads {
		xs[i] = of(l)
	}
	return xs
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
