package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/chromedp/chromedp"
)

// hostMarks is what host.js records in the partner page.
type hostMarks struct {
	NavStart   float64   `json:"navStart"`
	Ready      float64   `json:"ready"`
	Shifts     []float64 `json:"shifts"`
	IframeLoad float64   `json:"iframeLoad"`
	// For BENCH_DEBUG only.
	Heights      [][2]float64 `json:"heights"`
	ShiftSources [][]any      `json:"shiftSources"`
}

// frameMarks is what frame.js records in the iframe.
type frameMarks struct {
	NavStart     float64 `json:"navStart"`
	TableInDOM   float64 `json:"tableInDOM"`
	TablePainted float64 `json:"tablePainted"`
	FCP          float64 `json:"fcp"`
	Ready        float64 `json:"ready"`
	LoadEnd      float64 `json:"loadEnd"`
}

// load is one page load's figures, in ms from the partner page's
// navigation start.
type load struct {
	Painted     float64 // table first painted inside the iframe; 0 if never
	Interactive float64 // the client mounted; 0 if never
	ReadyFrom   string  // "forgefit:ready" (the loader's host event) or "data-forgefit-ready"
	CLS         float64
	// ClockLag is how long after the iframe's load event ended, by the
	// iframe's clock, the partner page saw it, by its own clock: a few ms
	// of messaging when the clocks agree, negative when they do not.
	ClockLag float64
	HasLag   bool
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
	timeout     time.Duration // navigation to interactive
	settle      time.Duration // after interactive, for late layout shifts
	interactive bool          // wait for the client; false for the reference
}

// measureLoad navigates the tab to pageURL and reads the marks once the
// widget is interactive (or, for the reference, the table painted), then
// again after a settling time so late layout shifts count.
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
	read := func() error {
		var err error
		if host, err = chromedp.Run(ctx, chromedp.Evaluate[hostMarks](`window.__forgefitBench`)); err != nil {
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
		if err := read(); err != nil {
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
	// The settling time is on top of the load's limit.
	ctx, cancelSettle := context.WithTimeout(parent, o.settle+10*time.Second)
	defer cancelSettle()
	select {
	case <-ctx.Done():
	case <-time.After(o.settle):
	}
	if err := read(); err != nil {
		return load{}, err
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "bench: %s\n  host  %+v\n  frame %+v (relative: nav %.0f, dom %.0f, painted %.0f, fcp %.0f, ready %.0f)\n",
			pageURL, host, frame, frame.NavStart-host.NavStart, frame.TableInDOM-host.NavStart,
			frame.TablePainted-host.NavStart, frame.FCP-host.NavStart, frame.Ready-host.NavStart)
		// The iframe's own timeline, in ms from the partner page's
		// navigation start: its navigation phases, each resource it
		// fetched, and the performance marks the product set.
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
	l := load{Painted: frame.painted() - host.NavStart}
	switch {
	case host.Ready > 0:
		l.Interactive, l.ReadyFrom = host.Ready-host.NavStart, "forgefit:ready"
	case frame.Ready > 0:
		l.Interactive, l.ReadyFrom = frame.Ready-host.NavStart, "data-forgefit-ready"
	}
	for _, s := range host.Shifts {
		l.CLS += s
	}
	if host.IframeLoad > 0 && frame.LoadEnd > 0 {
		l.ClockLag, l.HasLag = host.IframeLoad-frame.LoadEnd, true
	}
	return l, nil
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
	productURL string // partner page embedding the product
	refURL     string // partner page embedding the reference
	loads      int    // cold loads of each, each in a fresh browser
	timeout    time.Duration
	settle     time.Duration
	warmIdle   time.Duration // before the warm load: lets Chromium write its compiled-wasm cache
	snippet    bool          // the product page uses the loader
}

// pageLoads runs the cold loads of the product and the reference,
// alternating so that noise falls on both alike, and a warm load in each
// product browser. It returns the figures with their budgets.
func pageLoads(ctx context.Context, p pageLoadPlan) []Figure {
	const (
		nPainted     = "table painted (cold, median)"
		nRef         = "reference table painted (cold, median)"
		nRatio       = "table painted / reference"
		nInteractive = "interactive (cold, median)"
		nWarm        = "interactive (warm, median)"
		nCLS         = "layout shift on the partner page (max)"
	)
	budgets := map[string]string{
		nRatio: "≤ 1.15x", nInteractive: "≤ 300 ms", nWarm: "≤ 120 ms", nCLS: "≤ 0.05",
	}
	failAll := func(err error) []Figure {
		var fs []Figure
		for _, n := range []string{nPainted, nRef, nRatio, nInteractive, nWarm, nCLS} {
			fs = append(fs, failure(n, budgets[n], err))
		}
		return fs
	}
	var painted, ref, interactive, warm, cls, lags []float64
	readyFrom := ""
	var errs []error
	for i := 0; i < p.loads; i++ {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("out of time after %d loads", i))
			break
		}
		l, w, err := p.productLoad(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("product load %d: %w", i+1, err))
		} else {
			painted = append(painted, l.Painted)
			interactive = append(interactive, l.Interactive)
			cls = append(cls, l.CLS)
			readyFrom = l.ReadyFrom
			warm = append(warm, w.Interactive)
			lags = appendLag(lags, l, w)
		}
		r, err := p.referenceLoad(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("reference load %d: %w", i+1, err))
		} else {
			ref = append(ref, r.Painted)
			lags = appendLag(lags, r)
		}
	}
	if len(painted) == 0 || len(ref) == 0 {
		return failAll(errors.Join(errs...))
	}
	// The figures subtract the partner page's time origin from the
	// iframe's absolute times, which another process's clock gives: they
	// hold only if the two clocks agree.
	clock := "clock check: no load event to compare"
	if len(lags) > 0 {
		lo, hi := slices.Min(lags), slices.Max(lags)
		if lo < -1 {
			return failAll(fmt.Errorf("the partner page saw an iframe's load %.1f ms before it ended: the documents' clocks disagree", -lo))
		}
		clock = fmt.Sprintf("clock check: the partner page saw the iframe's load %.1f to %.1f ms after it ended", lo, hi)
	}
	embed := "plain iframe (no loader served yet)"
	if p.snippet {
		embed = "loader snippet"
	}
	fs := []Figure{
		{Name: nPainted, Value: median(painted), Unit: "ms", Status: Info, Samples: painted, Note: "embed: " + embed + "; " + clock},
		{Name: nRef, Value: median(ref), Unit: "ms", Status: Info, Samples: ref},
		budgetMax(nRatio, median(painted)/median(ref), "x", 1.15, budgets[nRatio]),
		budgetMax(nInteractive, median(interactive), "ms", 300, budgets[nInteractive]),
		budgetMax(nWarm, median(warm), "ms", 120, budgets[nWarm]),
		budgetMax(nCLS, maxOf(cls), "", 0.05, budgets[nCLS]),
	}
	fs[3].Samples, fs[3].Note = interactive, "from "+readyFrom
	fs[4].Samples, fs[4].Note = warm, "second load, same profile, after "+ms(p.warmIdle)+" idle"
	fs[5].Samples = cls
	if len(painted) < 5 || len(ref) < 5 {
		for i := range fs {
			fs[i].Note = joinNote(fs[i].Note, fmt.Sprintf("only %d product and %d reference loads: the report wants 5 or more", len(painted), len(ref)))
		}
	}
	if len(errs) > 0 {
		for i := range fs {
			fs[i].Note = joinNote(fs[i].Note, fmt.Sprintf("%d failed loads: %v", len(errs), errors.Join(errs...)))
		}
	}
	return fs
}

// productLoad is a cold load of the product page in a new browser, then a
// warm one in the same browser.
func (p pageLoadPlan) productLoad(ctx context.Context) (cold, warm load, err error) {
	b, err := newBrowserSession(ctx, p.chromium, p.profiles, frameJS)
	if err != nil {
		return cold, warm, err
	}
	defer b.cancel()
	o := loadOptions{timeout: p.timeout, settle: p.settle, interactive: true}
	if cold, err = b.measureLoad(b.ctx, p.productURL, o); err != nil {
		return cold, warm, err
	}
	select {
	case <-ctx.Done():
		return cold, warm, ctx.Err()
	case <-time.After(p.warmIdle):
	}
	warm, err = b.measureLoad(b.ctx, p.productURL, o)
	return cold, warm, err
}

// referenceLoad is a cold load of the reference page in a new browser.
func (p pageLoadPlan) referenceLoad(ctx context.Context) (load, error) {
	b, err := newBrowserSession(ctx, p.chromium, p.profiles, frameJS)
	if err != nil {
		return load{}, err
	}
	defer b.cancel()
	return b.measureLoad(b.ctx, p.refURL, loadOptions{timeout: p.timeout, settle: p.settle})
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

func appendLag(lags []float64, ls ...load) []float64 {
	for _, l := range ls {
		if l.HasLag {
			lags = append(lags, l.ClockLag)
		}
	}
	return lags
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
