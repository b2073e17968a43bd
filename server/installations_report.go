package server

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ehforge/forgefit/store"
)

// InstallationsReport is what GET /api/v1/installations answers and the
// Installations page shows: each host page the widget ran on in the
// range, and the pages refused.
type InstallationsReport struct {
	Partner       string          `json:"partner,omitempty"` // "" for all partners
	From          string          `json:"from"`
	To            string          `json:"to"`
	Installations []Installation  `json:"installations"`
	Refused       []RefusedOrigin `json:"refused"`
}

// Installation is one host page of one partner over the range.
type Installation struct {
	Partner  string    `json:"partner"`
	Origin   string    `json:"origin"`
	Path     string    `json:"path"` // "*" for the pages past the daily cap
	LastSeen time.Time `json:"last_seen"`
	Served   int64     `json:"pages_served"`
	Started  int64     `json:"started"`
	// StartedRate is started / pages served; null when none was served.
	StartedRate *float64         `json:"started_rate"`
	Errors      map[string]int64 `json:"errors"`
	// StartTimes are painted, interactive and takeover: the p50 and p75
	// of visitors' times since navigation, each the upper bound of its
	// histogram bucket, in ms.
	StartTimes     map[string]StartTime `json:"start_times_ms"`
	Locale         string               `json:"locale,omitempty"`          // the locale most served
	ContentVersion string               `json:"content_version,omitempty"` // the content version most served
	Status         string               `json:"status"`                    // working, not_seen or failing
	Reason         string               `json:"reason"`
	// Other is, on the list's last row only, how many host pages past
	// maxReportInstallations that row sums (its origin and path are "*").
	Other int64 `json:"other,omitempty"`
}

// StartTime is one start time's percentiles, from Reports reports.
type StartTime struct {
	P50     int   `json:"p50"`
	P75     int   `json:"p75"`
	Reports int64 `json:"reports"`
}

// RefusedOrigin is a host origin whose widget pages were refused, and
// what would fix it.
type RefusedOrigin struct {
	Partner string `json:"partner"` // the registered partner asked for; "" when none
	// AskedPartner is the unregistered partner id the page asked for
	// (reason "partner"); "*" for those past the daily cap.
	AskedPartner string    `json:"asked_partner,omitempty"`
	Origin       string    `json:"origin"` // "*" for those past the daily cap
	Reason       string    `json:"reason"` // origin (not registered for the partner) or partner (no such partner)
	Refused      int64     `json:"refused"`
	LastSeen     time.Time `json:"last_seen"`
	Fix          string    `json:"fix"`
	// Other is, on the list's last row only, how many refusals past
	// maxReportRefused that row sums (its reason is "other").
	Other int64 `json:"other,omitempty"`
}

// The report's lists have caps, whatever the range: per-day caps times
// up to two years of days would otherwise make a report of hundreds of
// thousands of rows. The host pages that served most are listed, then one
// row that sums the rest; the origins refused most, then one such row.
const (
	maxReportInstallations = 100
	maxReportRefused       = 50
)

// Installation statuses.
const (
	statusWorking = "working"
	statusNotSeen = "not_seen"
	statusFailing = "failing"
)

// notSeenAfter is how long an installation may be silent before its status
// says so.
const notSeenAfter = 7 * 24 * time.Hour

// installations builds the report of q for v.
func (s *Server) installations(r *http.Request, v viewer, q statsQuery) (*InstallationsReport, error) {
	// This server's own counts first, so what it just saw shows.
	ctx, cancel := flushContext(r.Context())
	defer cancel()
	if err := s.installs.Flush(ctx); err != nil {
		s.log.WarnContext(r.Context(), "storing installation counts before a read", "err", err)
	}
	iq := store.InstallQuery{From: q.from, To: q.to}
	if q.partner != "" {
		// A refusal of an unregistered partner id is the partner's when it
		// came from one of its origins: most likely a typo in its snippet.
		iq.Partners = []string{q.partner, store.UnknownPartner}
	}
	counts, err := s.cfg.Store.InstallCounts(r.Context(), iq)
	if err != nil {
		return nil, fmt.Errorf("reading installation counts: %w", err)
	}
	rep := &InstallationsReport{Partner: q.partner, From: q.from.Format(time.DateOnly), To: q.to.Format(time.DateOnly),
		Installations: []Installation{}, Refused: []RefusedOrigin{}}
	ps := s.partners.Load()
	owners := map[string][]string{} // origin → the partners that registered it
	for _, id := range ps.IDs() {
		p, _ := ps.Partner(id)
		for _, o := range p.Origins {
			owners[o] = append(owners[o], id)
		}
	}
	type pageKey struct{ partner, origin, path string }
	type pageFigures struct {
		inst    *Installation
		locales map[string]int64
		version map[string]int64
		times   map[string]map[int]int64 // metric → bucket → n
	}
	pages := map[pageKey]*pageFigures{}
	type refusedKey struct{ partner, asked, origin string }
	refused := map[refusedKey]*RefusedOrigin{}
	for _, c := range counts {
		if c.Metric == store.InstallRefused {
			k := refusedKey{partner: c.Partner, origin: c.Origin}
			reason := "origin"
			if asked, ok := strings.CutPrefix(c.Key, "partner "); ok {
				k.partner, k.asked, reason = "", asked, "partner"
				if q.partner != "" && !slices.Contains(owners[c.Origin], q.partner) {
					continue // not from an origin of the partner shown
				}
			}
			if !v.canSee(k.partner) && reason == "origin" {
				continue
			}
			ro := refused[k]
			if ro == nil {
				ro = &RefusedOrigin{Partner: k.partner, AskedPartner: k.asked, Origin: c.Origin, Reason: reason}
				refused[k] = ro
			}
			ro.Refused += c.N
			continue
		}
		if c.Partner == store.UnknownPartner {
			if c.Metric == store.InstallSeen {
				for k, ro := range refused {
					if k.asked != "" && k.origin == c.Origin {
						ro.LastSeen = later(ro.LastSeen, time.Unix(c.N, 0).UTC())
					}
				}
			}
			continue
		}
		if !v.canSee(c.Partner) {
			continue
		}
		k := pageKey{c.Partner, c.Origin, c.Path}
		pf := pages[k]
		if pf == nil {
			pf = &pageFigures{inst: &Installation{Partner: c.Partner, Origin: c.Origin, Path: c.Path, Errors: map[string]int64{}, StartTimes: map[string]StartTime{}},
				locales: map[string]int64{}, version: map[string]int64{}, times: map[string]map[int]int64{}}
			pages[k] = pf
		}
		in := pf.inst
		switch c.Metric {
		case store.InstallServed:
			in.Served += c.N
		case store.InstallStarted:
			in.Started += c.N
		case store.InstallError:
			in.Errors[c.Key] += c.N
		case store.InstallLocale:
			pf.locales[c.Key] += c.N
		case store.InstallVersion:
			pf.version[c.Key] += c.N
		case store.InstallPainted, store.InstallInteractive, store.InstallTakeover:
			b, err := strconv.Atoi(c.Key)
			if err != nil {
				return nil, fmt.Errorf("installation count %s %q is malformed", c.Metric, c.Key)
			}
			if pf.times[c.Metric] == nil {
				pf.times[c.Metric] = map[int]int64{}
			}
			pf.times[c.Metric][b] += c.N
		case store.InstallSeen:
			if c.Path == "" && c.Origin != "" {
				// A refusal's time: the page key has no path.
				for k, ro := range refused {
					if k.partner == c.Partner && k.origin == c.Origin {
						ro.LastSeen = later(ro.LastSeen, time.Unix(c.N, 0).UTC())
					}
				}
			}
			in.LastSeen = later(in.LastSeen, time.Unix(c.N, 0).UTC())
		}
	}
	now := s.now()
	kept := make([]*pageFigures, 0, len(pages))
	for _, pf := range pages {
		in := pf.inst
		if in.Served == 0 && in.Started == 0 && len(in.Errors) == 0 {
			continue // a refusal's time only
		}
		kept = append(kept, pf)
	}
	// The pages that served most first; past the cap, one row sums them.
	slices.SortFunc(kept, func(a, b *pageFigures) int {
		x, y := a.inst, b.inst
		return cmp.Or(cmp.Compare(y.Served, x.Served), cmp.Compare(y.Started, x.Started),
			strings.Compare(x.Partner, y.Partner), strings.Compare(x.Origin, y.Origin), strings.Compare(x.Path, y.Path))
	})
	if len(kept) > maxReportInstallations {
		other := &pageFigures{inst: &Installation{Partner: q.partner, Origin: store.InstallOther, Path: store.InstallOther, Errors: map[string]int64{},
			StartTimes: map[string]StartTime{}, Other: int64(len(kept) - maxReportInstallations)},
			locales: map[string]int64{}, version: map[string]int64{}, times: map[string]map[int]int64{}}
		for _, pf := range kept[maxReportInstallations:] {
			o, in := other.inst, pf.inst
			o.Served += in.Served
			o.Started += in.Started
			o.LastSeen = later(o.LastSeen, in.LastSeen)
			for code, n := range in.Errors {
				o.Errors[code] += n
			}
			for k, n := range pf.locales {
				other.locales[k] += n
			}
			for k, n := range pf.version {
				other.version[k] += n
			}
			for metric, buckets := range pf.times {
				if other.times[metric] == nil {
					other.times[metric] = map[int]int64{}
				}
				for b, n := range buckets {
					other.times[metric][b] += n
				}
			}
		}
		kept = append(kept[:maxReportInstallations:maxReportInstallations], other)
	}
	// Those listed by partner, origin and path, as before the cap; the
	// row of the others last.
	listed := kept[:min(len(kept), maxReportInstallations)]
	slices.SortFunc(listed, func(a, b *pageFigures) int {
		x, y := a.inst, b.inst
		return cmp.Or(strings.Compare(x.Partner, y.Partner), strings.Compare(x.Origin, y.Origin), strings.Compare(x.Path, y.Path))
	})
	for _, pf := range kept {
		in := pf.inst
		if in.Served > 0 {
			rate := float64(in.Started) / float64(in.Served)
			in.StartedRate = &rate
		}
		in.Locale, in.ContentVersion = mostCountedKey(pf.locales), mostCountedKey(pf.version)
		for metric, buckets := range pf.times {
			in.StartTimes[metric] = percentiles(buckets)
		}
		in.Status, in.Reason = installStatus(in, now)
		if in.Other > 0 {
			in.Reason = fmt.Sprintf("%d more host %s, summed: %s", in.Other, plural(in.Other, "page"), in.Reason)
		}
		rep.Installations = append(rep.Installations, *in)
	}
	for _, ro := range refused {
		ro.Fix = refusalFix(ro, v, owners, s.partnerName)
		rep.Refused = append(rep.Refused, *ro)
	}
	slices.SortFunc(rep.Refused, func(a, b RefusedOrigin) int {
		return cmp.Or(cmp.Compare(b.Refused, a.Refused), strings.Compare(a.Partner, b.Partner),
			strings.Compare(a.Origin, b.Origin), strings.Compare(a.AskedPartner, b.AskedPartner))
	})
	if len(rep.Refused) > maxReportRefused {
		other := RefusedOrigin{Partner: q.partner, Origin: store.InstallOther, Reason: "other", Other: int64(len(rep.Refused) - maxReportRefused)}
		for _, ro := range rep.Refused[maxReportRefused:] {
			other.Refused += ro.Refused
			other.LastSeen = later(other.LastSeen, ro.LastSeen)
		}
		other.Fix = fmt.Sprintf("%d more refused %s, summed, each refused less often than those listed: narrow the range or the partner to see them one by one.",
			other.Other, plural(other.Other, "origin"))
		rep.Refused = append(rep.Refused[:maxReportRefused:maxReportRefused], other)
	}
	return rep, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// mostCountedKey returns the key with the greatest count, the greatest key
// among equals; "" for none.
func mostCountedKey(m map[string]int64) string {
	if top := mostCounted(m, 1, func(a, b string) int { return strings.Compare(b, a) }); len(top) == 1 {
		return top[0]
	}
	return ""
}

// percentiles returns the p50 and p75 of a start-time histogram: the upper
// bound of the bucket each falls in.
func percentiles(buckets map[int]int64) StartTime {
	bounds := make([]int, 0, len(buckets))
	var total int64
	for b, n := range buckets {
		bounds = append(bounds, b)
		total += n
	}
	slices.Sort(bounds)
	st := StartTime{Reports: total}
	var seen int64
	for _, b := range bounds {
		seen += buckets[b]
		if st.P50 == 0 && seen*2 >= total {
			st.P50 = b
		}
		if st.P75 == 0 && seen*4 >= 3*total {
			st.P75 = b
		}
	}
	return st
}

// installStatus says, in a word and a sentence, how an installation is
// doing at now.
func installStatus(in *Installation, now time.Time) (string, string) {
	var startErrs, pageErrs int64
	for code, n := range in.Errors {
		if startErrors[code] {
			startErrs += n
		} else {
			pageErrs += n
		}
	}
	switch {
	case now.Sub(in.LastSeen) > notSeenAfter:
		return statusNotSeen, "Not seen for 7 days: no widget page served or start reported since " + in.LastSeen.Format(dashboardTime) + "."
	case pageErrs > 0 && in.Served == 0:
		return statusFailing, fmt.Sprintf("The page asks for a widget that does not exist (%d %s refused): check the snippet's data-forgefit-widget.", pageErrs, plural(pageErrs, "request"))
	case startErrs > 0 && startErrs*2 >= in.Started:
		return statusFailing, fmt.Sprintf("%d of %d widget starts reported an error (%s).", startErrs, in.Started, errorList(in.Errors))
	case in.Started == 0:
		return statusWorking, "Widget pages are served; no start reported yet (visitors who have not consented report nothing)."
	}
	return statusWorking, fmt.Sprintf("%d of %d widget pages served reported their start.", in.Started, in.Served)
}

// errorList names errors by code with their counts, "wasm: 3, timeout: 1".
func errorList(errs map[string]int64) string {
	codes := make([]string, 0, len(errs))
	for c := range errs {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for i, c := range codes {
		codes[i] = c + ": " + strconv.FormatInt(errs[c], 10)
	}
	return strings.Join(codes, ", ")
}

// refusalFix says what would stop the refusals of ro, in the words of the
// viewer: the admin edits the partners file, a partner asks for it. The
// origin and the partner id are what browsers asked for, which anyone can
// make a browser ask: the advice is conditional ("if … is one of your
// sites"), never a bare instruction to register an origin.
func refusalFix(ro *RefusedOrigin, v viewer, owners map[string][]string, name func(string) string) string {
	asked := fmt.Sprintf("Browsers asked %d %s for the widget from %s.", ro.Refused, plural(ro.Refused, "time"), ro.Origin)
	if ro.Origin == store.InstallOther {
		return "More origins were refused than are listed one by one: check the server's log and the partners' snippets."
	}
	if ro.Reason == "origin" {
		if v.admin {
			return fmt.Sprintf("%s If %s is one of %s's sites, register it in the partners file's origins of partner %q, then reload the server (SIGHUP). If it is not theirs, leave it unregistered: someone else's page names this partner.", asked, ro.Origin, name(ro.Partner), ro.Partner)
		}
		return fmt.Sprintf("%s If %s is yours, ask your Forge Fit contact to register it for %s. Until then the widget does not show there. If it is not yours, nothing needs doing.", asked, ro.Origin, name(ro.Partner))
	}
	id := ro.AskedPartner
	if id == store.InstallOther {
		id = "an unregistered id"
	} else {
		id = strconv.Quote(id)
	}
	asked = fmt.Sprintf("Browsers asked %d %s for the widget of partner %s from %s, which is not registered.", ro.Refused, plural(ro.Refused, "time"), id, ro.Origin)
	if own := owners[ro.Origin]; len(own) > 0 {
		if !v.admin {
			return fmt.Sprintf("%s If the snippet on that page is yours, set data-forgefit-partner=%q.", asked, v.partner)
		}
		return fmt.Sprintf("%s %s registered that origin: if the snippet there is theirs, it should say data-forgefit-partner=%q.", asked, name(own[0]), own[0])
	}
	return fmt.Sprintf("%s If %s is a partner's site, register the partner (with that origin) in the partners file, or have the snippet's data-forgefit-partner corrected; otherwise leave it.", asked, ro.Origin)
}

// handleInstallationsAPI handles "GET /api/v1/installations": the
// installations report as JSON, for the same tokens (and under the same
// failure throttle) as the stats; query
// partner, from and to as the stats take them.
func (s *Server) handleInstallationsAPI(w http.ResponseWriter, r *http.Request) {
	v, err := s.identify(r)
	if err != nil {
		s.writeAuthError(w, r, err)
		return
	}
	q, err := s.parseInstallationsQuery(r, v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := s.installations(r, v, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(rep)
}

// parseInstallationsQuery reads the query of the installations report as
// parseStatsQuery reads the stats': partner, from and to. Installations
// are counted per host page, not per widget, so a widget parameter is
// refused rather than silently ignored.
func (s *Server) parseInstallationsQuery(r *http.Request, v viewer) (statsQuery, error) {
	if r.URL.Query().Has("widget") {
		return statsQuery{}, Errorf(EInvalid, "widget: installations are counted per host page, not per widget; leave widget out")
	}
	return s.parseStatsQuery(r, v)
}
