package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/fit"

	"github.com/ehforge/forgefit/store"
)

// Installations: where partners' widgets run, whether they start and how
// fast, counted per UTC day, partner, host origin and host page path.
//
// Two sources feed the counts, neither through ingest:
//   - what the server sees: every first widget page it serves
//     (GET /w/{widget} without a view id, one per mount) and every one it
//     refuses (an origin the partner has not registered, a partner id no
//     one has);
//   - what the widget page reports once, with its start: frame.js posts
//     its own times since navigation (table painted, interactive, wasm
//     taken over) and its error, if any, to POST /w/{widget}/started.
//
// Both are counters, not events: a page serve is no visitor's action, and
// a start report says nothing about the visitor (no view id, no visitor
// hash, no cookie; the same origin and path the page was served for), so
// none is stored as a row of its own. Each server adds them up in memory
// (bounded, see installCounter) and adds them to the store every
// installFlushEvery with additive upserts, so several servers on one
// PostgreSQL add up without coordination, and ingest's group commits never
// wait for them. A crash loses at most that interval's counts; a graceful
// stop writes them (Server.Close), and a read on this server writes its
// own first.

// startBuckets are the upper bounds, in ms, of the start-time histograms:
// a small fixed set, enough for a p50 and a p75 to say "under 500 ms".
// Times over the last bound are counted under it.
var startBuckets = []int{100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000}

// startBucket returns the key of the bucket ms falls in.
func startBucket(ms int) string {
	for _, b := range startBuckets {
		if ms <= b {
			return strconv.Itoa(b)
		}
	}
	return strconv.Itoa(startBuckets[len(startBuckets)-1])
}

// Start error codes the widget page reports: its client (the wasm) could
// not start, or had not taken over 30 s after the page was ready.
// Requests for an unknown widget count as errorWidget.
var startErrors = map[string]bool{"wasm": true, "timeout": true}

const errorWidget = startWidget

// Bounds of what one server counts per UTC day, so that made-up paths,
// origins or partner ids cannot grow memory or storage without end: host
// pages per partner, refused origins per partner, and refused partner ids
// with their origins. Past a cap the count goes to store.InstallOther.
const (
	maxInstallPages     = 200
	maxRefusedOrigins   = 20
	maxUnknownPartners  = 20
	installFlushEvery   = 10 * time.Second
	installFlushTimeout = 10 * time.Second // one flush's longest wait on the store
	maxStartMillis      = 10 * 60 * 1000
	maxStartReportBytes = 2 << 10
)

// installKey is a count's identity.
type installKey struct {
	day                   time.Time
	partner, origin, path string
	metric, key           string
}

// installCounter adds up installation counts in memory until they are
// flushed to the store.
type installCounter struct {
	store store.InstallStore

	mu      sync.Mutex
	pending map[installKey]int64
	// ranks are the pages (or refused origins) counted one by one per day
	// and partner, the most counted: what the caps keep. Only today's and
	// yesterday's are kept.
	ranks map[dayPartner]*rankedValues

	flushing chan struct{} // holds one token: one flush at a time
	stop     chan struct{}
	done     chan struct{}
}

type dayPartner struct {
	day     time.Time
	partner string
	kind    string // "page" or "refused"
}

func newInstallCounter(store store.InstallStore) *installCounter {
	c := &installCounter{store: store, pending: map[installKey]int64{}, ranks: map[dayPartner]*rankedValues{}, flushing: make(chan struct{}, 1)}
	c.flushing <- struct{}{}
	return c
}

// start flushes every interval until Close.
func (c *installCounter) start(interval time.Duration, onError func(error)) {
	stop, done := make(chan struct{}), make(chan struct{})
	c.stop, c.done = stop, done
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), installFlushTimeout)
				if err := c.Flush(ctx); err != nil {
					onError(err)
				}
				cancel()
			}
		}
	}()
}

// Close stops the flushes and writes what is pending, giving up when ctx
// ends: a store stuck in a flush must not hang the server's shutdown.
func (c *installCounter) Close(ctx context.Context) error {
	if c.stop != nil {
		close(c.stop)
		c.stop = nil
		select {
		case <-c.done:
		case <-ctx.Done():
			return fmt.Errorf("storing installation counts: %w", ctx.Err())
		}
	}
	return c.Flush(ctx)
}

// Flush adds the pending counts to the store. On failure they stay
// pending (the caps bound them) for the next flush. It waits for a flush
// under way no longer than ctx allows. A flush's ctx must not end with a
// client's request (see flushContext): a store that committed and then
// reports the cancel would have the counts put back and added twice.
func (c *installCounter) Flush(ctx context.Context) error {
	select {
	case <-c.flushing:
	case <-ctx.Done():
		return fmt.Errorf("storing installation counts: %w", ctx.Err())
	}
	defer func() { c.flushing <- struct{}{} }()
	c.mu.Lock()
	pending := c.pending
	c.pending = map[installKey]int64{}
	c.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	counts := make([]store.InstallCount, 0, len(pending))
	for k, n := range pending {
		counts = append(counts, store.InstallCount{Day: k.day, Partner: k.partner, Origin: k.origin, Path: k.path, Metric: k.metric, Key: k.key, N: n})
	}
	if err := c.store.AddInstallCounts(ctx, counts); err != nil {
		c.mu.Lock()
		for k, n := range pending {
			c.addLocked(k, n)
		}
		c.mu.Unlock()
		return err
	}
	return nil
}

// flushContext is the context of a flush made for a request: not ended
// by the client going away (a flush that committed must not be taken back
// and added again), only by the flush's own timeout.
func flushContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), installFlushTimeout)
}

func (c *installCounter) addLocked(k installKey, n int64) {
	if k.metric == store.InstallSeen {
		c.pending[k] = max(c.pending[k], n)
		return
	}
	c.pending[k] += n
}

// capped counts one of value and returns it, or store.InstallOther when the
// day's values of kind for partner that are counted most, up to limit,
// do not include it (see rankedValues). The caller holds c.mu.
func (c *installCounter) capped(day time.Time, partner, kind, value string, limit int) string {
	dp := dayPartner{day, partner, kind}
	r := c.ranks[dp]
	if r == nil {
		for k := range c.ranks { // a new day: forget the days before yesterday
			if k.day.Before(day.AddDate(0, 0, -1)) {
				delete(c.ranks, k)
			}
		}
		r = newRankedValues(limit)
		c.ranks[dp] = r
	}
	if r.count(value) {
		return value
	}
	return store.InstallOther
}

// installPage is a host page as counted: the day, partner, origin and path.
type installPage struct {
	day                   time.Time
	partner, origin, path string
}

// page returns the counted page of partner's origin and path at now: past
// the cap, its store.InstallOther path. The caller holds c.mu.
func (c *installCounter) page(now time.Time, partner, origin, path string) installPage {
	day := store.Day(now)
	if c.capped(day, partner, "page", origin+" "+path, maxInstallPages) == store.InstallOther {
		path = store.InstallOther
	}
	return installPage{day, partner, origin, path}
}

// add counts n of metric and key for page p, and marks it seen at now.
func (c *installCounter) add(p installPage, now time.Time, counts ...installCountOf) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range counts {
		c.addLocked(installKey{p.day, p.partner, p.origin, p.path, x.metric, x.key}, 1)
	}
	c.addLocked(installKey{p.day, p.partner, p.origin, p.path, store.InstallSeen, ""}, now.Unix())
}

type installCountOf struct{ metric, key string }

// served counts a first widget page served to partner's host page.
func (c *installCounter) served(now time.Time, partner, origin, path, locale, version string) {
	c.mu.Lock()
	p := c.page(now, partner, origin, path)
	c.mu.Unlock()
	c.add(p, now, installCountOf{store.InstallServed, ""}, installCountOf{store.InstallLocale, locale}, installCountOf{store.InstallVersion, version})
}

// refused counts a widget page refused: for a registered partner whose
// list lacks origin, or for an unregistered partner id asked (counted
// under store.UnknownPartner). An unregistered id asked from an origin a partner
// registered (owner; "" for none) is most likely that partner's typo: it
// is ranked among that partner's own, so that made-up ids and origins
// asked from anywhere else cannot push it out.
func (c *installCounter) refused(now time.Time, partner, asked, origin, owner string) {
	day := store.Day(now)
	c.mu.Lock()
	var p installPage
	var key string
	if partner == store.UnknownPartner {
		pool := store.UnknownPartner
		if owner != "" {
			pool = owner
		}
		v := c.capped(day, pool, "unknown partner", asked+" "+origin, maxUnknownPartners)
		if v == store.InstallOther {
			asked, origin = store.InstallOther, store.InstallOther
		}
		p, key = installPage{day, store.UnknownPartner, origin, ""}, "partner "+asked
	} else {
		p, key = installPage{day, partner, c.capped(day, partner, "refused", origin, maxRefusedOrigins), ""}, "origin"
	}
	c.mu.Unlock()
	c.add(p, now, installCountOf{store.InstallRefused, key})
}

// startReport is what a widget page reports once it has started.
type startReport struct {
	painted, interactive, takeover int // ms since navigation; -1 when unknown
	err                            string
}

// started counts a start report of partner's host page.
func (c *installCounter) started(now time.Time, partner, origin, path string, rep startReport) {
	c.mu.Lock()
	p := c.page(now, partner, origin, path)
	c.mu.Unlock()
	counts := []installCountOf{{store.InstallStarted, ""}}
	if rep.err != "" {
		counts = append(counts, installCountOf{store.InstallError, rep.err})
	}
	for _, t := range []struct {
		metric string
		ms     int
	}{{store.InstallPainted, rep.painted}, {store.InstallInteractive, rep.interactive}, {store.InstallTakeover, rep.takeover}} {
		if t.ms >= 0 {
			counts = append(counts, installCountOf{t.metric, startBucket(t.ms)})
		}
	}
	c.add(p, now, counts...)
}

// failed counts an error of partner's host page that is no start: a widget
// page asked for a widget that does not exist.
func (c *installCounter) failed(now time.Time, partner, origin, path, code string) {
	c.mu.Lock()
	p := c.page(now, partner, origin, path)
	c.mu.Unlock()
	c.add(p, now, installCountOf{store.InstallError, code})
}

// countWidgetPage counts a widget page request that widgetRequest has
// answered: req nil means it refused it. Only a widget's first page counts
// (no view id yet: later pages of the same mount have one), only when
// framed by a host page (an origin given), only as a browser asks for an
// iframe (see framedBy), and never test mode or a crawler, as stats leave
// them out.
func (s *Server) countWidgetPage(r *http.Request, req *widgetRequest) {
	q := r.URL.Query()
	if q.Has(fit.ParamView) || q.Has("test") || q.Get("origin") == "" || isCrawler(r.UserAgent()) || !framedBy(r, q.Get("origin")) {
		return
	}
	now := s.now()
	if req != nil {
		partner := req.partner.ID
		s.installs.served(now, partner, req.query.Get("origin"), req.query.Get("path"), req.widget.Locale, req.widget.Version)
		s.metrics.widgetPages.WithLabelValues(partner).Inc()
		return
	}
	origin, err := NormalizeOrigin(q.Get("origin"))
	if err != nil {
		origin = store.InstallOther // not an origin at all: counted, never shown as one
	}
	path := q.Get("path")
	if !validPagePath(path) {
		path = ""
	}
	asked := q.Get("partner")
	ps := s.partners.Load()
	partner, ok := ps.Partner(asked)
	switch {
	case !ok:
		if !content.ValidID(asked) {
			asked = store.InstallOther
		}
		s.installs.refused(now, store.UnknownPartner, asked, origin, ps.ownerOf(origin))
		s.metrics.widgetRefused.WithLabelValues(unknownPartnerLabel, "partner").Inc()
	case !partner.AllowsOrigin(origin):
		s.installs.refused(now, partner.ID, "", origin, "")
		s.metrics.widgetRefused.WithLabelValues(partner.ID, "origin").Inc()
	default:
		// The partner's own page asked for a widget that does not exist.
		if _, err := s.cfg.Content.Widget(r.PathValue("widget"), content.DefaultLocale); err != nil {
			s.installs.failed(now, partner.ID, origin, path, errorWidget)
			s.metrics.widgetErrors.WithLabelValues(partner.ID, errorWidget).Inc()
		}
	}
}

// framedBy reports whether r looks like a browser's request for an iframe
// on a page of origin: a Sec-Fetch-Dest, when sent (every current browser
// sends it), says "iframe", and a Referer, when sent (a host page may send
// none), is of origin. Anyone can send such headers; what this keeps out
// is the widget page opened or linked directly, and a request naming an
// origin it does not come from (a browser sets both headers itself).
func framedBy(r *http.Request, origin string) bool {
	if dest := r.Header.Get("Sec-Fetch-Dest"); dest != "" && dest != "iframe" {
		return false
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return false
		}
		from, err := NormalizeOrigin(u.Scheme + "://" + u.Host)
		want, err2 := NormalizeOrigin(origin)
		if err != nil || err2 != nil || from != want {
			return false
		}
	}
	return true
}

// handleWidgetStarted handles "POST /w/{widget}/started": a widget page's
// report, once, that it started (frame.js sends it as a beacon): its
// times since navigation and its error, if any. Only our own pages post
// here, for a registered partner's registered origin, with the start
// token of the page they report on (starttoken.go).
func (s *Server) handleWidgetStarted(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		s.writeError(w, r, Errorf(EForbidden, "only the widget's own pages report their start"))
		return
	}
	now := s.now()
	if ok, _ := s.clientLimits.Allow(clientIP(r, s.cfg.TrustedProxies), now); !ok {
		s.writeError(w, r, Errorf(ERateLimited, "too many requests; retry later"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxStartReportBytes)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, Errorf(EInvalid, "the report could not be read"))
		return
	}
	f := r.PostForm
	if _, err := s.cfg.Content.Widget(r.PathValue("widget"), content.DefaultLocale); err != nil {
		s.writeError(w, r, Errorf(ENotFound, "no such widget"))
		return
	}
	partner, ok := s.partners.Load().Partner(f.Get("partner"))
	if !ok {
		s.writeError(w, r, Errorf(EInvalid, "partner: not a registered partner"))
		return
	}
	origin, err := NormalizeOrigin(f.Get("origin"))
	if err != nil || !partner.AllowsOrigin(origin) {
		s.writeError(w, r, Errorf(EInvalid, "origin: not one of the partner's origins"))
		return
	}
	path := f.Get("path")
	if path != "" && !validPagePath(path) {
		s.writeError(w, r, Errorf(EInvalid, "path: not a page path"))
		return
	}
	if !s.sessions.validStartToken(f.Get("token"), partner.ID, r.PathValue("widget"), origin, path, now) {
		s.writeError(w, r, Errorf(EForbidden, "token: missing, forged or expired; only a widget page we served lately reports its start"))
		return
	}
	rep := startReport{err: f.Get("error")}
	if rep.err != "" && !startErrors[rep.err] {
		s.writeError(w, r, Errorf(EInvalid, "error: not a start error code"))
		return
	}
	for _, t := range []struct {
		name string
		ms   *int
	}{{"painted", &rep.painted}, {"interactive", &rep.interactive}, {"takeover", &rep.takeover}} {
		*t.ms = -1
		v := f.Get(t.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxStartMillis {
			s.writeError(w, r, Errorf(EInvalid, "%s: not a time in ms from 0 to %d", t.name, maxStartMillis))
			return
		}
		*t.ms = n
	}
	if !isCrawler(r.UserAgent()) {
		s.installs.started(now, partner.ID, origin, path, rep)
		s.metrics.widgetStarts.WithLabelValues(partner.ID).Inc()
		if rep.err != "" {
			s.metrics.widgetErrors.WithLabelValues(partner.ID, rep.err).Inc()
		}
		if rep.interactive >= 0 {
			s.metrics.widgetInteractive.WithLabelValues(partner.ID).Observe(float64(rep.interactive) / 1000)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// ownerOf returns the first partner, by id, that registered origin (in
// normal form); "" when none did.
func (ps *Partners) ownerOf(origin string) string {
	if !ps.origins[origin] {
		return ""
	}
	for _, id := range ps.IDs() {
		if ps.byID[id].AllowsOrigin(origin) {
			return id
		}
	}
	return ""
}
