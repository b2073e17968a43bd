package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/ehforge/forgefit/widget/fit"
)

// The widget page works before, and without, its wasm (DESIGN.md, "Works
// before the wasm"): every step is a native form posted to the page's own
// URL. The server records what the step did as the same events the wasm
// would, with the same ids (derived from the view id, see event.DerivedID,
// so a double submit, a resubmit after Back, or the wasm recording the same
// step again stores once), and answers 303 with the URL of the next step.
// The visit (answers, step, worksheet) lives in that URL, never in a
// server-side session.

// maxFormBytes bounds a widget form's body: a dozen short fields.
const maxFormBytes = 4 << 10

// widgetRequest is a widget page request that passed the checks every
// widget route shares.
type widgetRequest struct {
	partner *Partner
	widget  *content.Widget // in the page's locale, with the partner's CTA
	query   url.Values      // the page's context: known, valid parameters only
	visit   fit.Visit
}

// pageURL is the widget page of req's context at visit v.
func (req *widgetRequest) pageURL(v fit.Visit) string {
	q := url.Values{}
	for k, vs := range req.query {
		q[k] = vs
	}
	ps := v.Params(req.widget)
	for i := 0; i+1 < len(ps); i += 2 {
		q.Set(ps[i], ps[i+1])
	}
	return "/w/" + req.widget.ID + "?" + q.Encode()
}

// widgetRequest runs the checks every widget route shares: a widget that
// exists, a registered partner, a host origin of that partner's, and a
// well-formed visit. On failure it has answered with an HTML page (it shows
// in the partner's iframe, where JSON would be no use) and returns nil.
func (s *Server) widgetRequest(w http.ResponseWriter, r *http.Request) *widgetRequest {
	id := r.PathValue("widget")
	if !content.ValidID(id) {
		s.writePageError(w, http.StatusNotFound, startWidget, "This widget does not exist.", "")
		return nil
	}
	q := r.URL.Query()
	partner, ok := s.partners.Load().Partner(q.Get("partner"))
	if _, err := s.cfg.Content.Widget(id, content.DefaultLocale); errors.Is(err, content.ErrNotFound) {
		s.writePageError(w, http.StatusNotFound, startWidget, "This widget does not exist.", "")
		return nil
	}
	if !ok {
		s.writePageError(w, http.StatusNotFound, startPartner, "This site is not registered to show Forge Fit widgets (unknown partner).", "")
		return nil
	}
	clean, err := widgetQuery(q, partner, func(o string, test bool) bool { return s.previewHost(r, o, test) })
	if err != nil {
		s.writePageError(w, http.StatusForbidden, startOrigin, "This page's origin is not registered for this partner.", "")
		return nil
	}
	wc, err := s.PartnerContent(id, clean.Get("locale"), partner.ID)
	if err != nil {
		s.writePageError(w, http.StatusNotFound, startWidget, "This widget does not exist.", "")
		return nil
	}
	req := &widgetRequest{partner: partner, widget: wc, query: clean}
	req.visit, err = fit.ParseVisit(wc, q.Get)
	if err != nil {
		s.writePageError(w, http.StatusBadRequest, "",
			"This link's answers could not be read ("+err.Error()+").", req.pageURL(fit.Visit{}))
		return nil
	}
	return req
}

// PartnerContent returns a widget's content in locale (or the default
// locale) for a partner, with the call to action's URLs as the partner set
// them (see partnerCTA), each with the partner's attribution. The content
// is shared, so the changes go on a copy. The widget pages' prerender looks
// content up through it.
func (s *Server) PartnerContent(id, locale, partnerID string) (*content.Widget, error) {
	if locale == "" {
		locale = content.DefaultLocale
	}
	w, err := s.cfg.Content.Widget(id, locale)
	if err != nil {
		return nil, err
	}
	p, _ := s.Partner(partnerID)
	c := *w
	c.Review = nil // for the client, not for pages
	c.CTA = partnerCTA(w, p)
	c.CTA.URL = content.AttributedCTA(c.CTA.URL, partnerID)
	for i := range c.CTA.Outcomes {
		c.CTA.Outcomes[i].URL = content.AttributedCTA(c.CTA.Outcomes[i].URL, partnerID)
	}
	return &c, nil
}

// partnerCTA is w's call to action for partner p (nil for none), with one
// URL for every outcome: the partner's URL for that outcome, else the
// partner's general URL, else the content's for the outcome, else the
// content's general one.
func partnerCTA(w *content.Widget, p *Partner) content.CTA {
	if p == nil {
		p = &Partner{}
	}
	c := w.CTA
	if p.CTAURL != "" {
		c.URL = p.CTAURL
	}
	c.Outcomes = make([]content.OutcomeCTA, 0, len(w.Outcomes()))
	for _, outcome := range w.Outcomes() {
		label, u := w.CTA.For(outcome)
		switch {
		case p.CTAURLs[outcome] != "":
			u = p.CTAURLs[outcome]
		case p.CTAURL != "":
			u = p.CTAURL
		}
		c.Outcomes = append(c.Outcomes, content.OutcomeCTA{Outcome: outcome, Label: label, URL: u})
	}
	return c
}

// handleWidgetForm handles "POST /w/{widget}": a step of the widget's
// native forms, posted before the wasm took over (or without it). It
// records what the step did and answers 303 with the next step's URL.
func (s *Server) handleWidgetForm(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	// Only our own pages post here: a form elsewhere cannot record
	// answers in a partner's name.
	if r.Header.Get("Origin") != s.publicOrigin(r) {
		s.writePageError(w, http.StatusForbidden, "", "This form can only be sent from the widget itself.", "")
		return
	}
	req := s.widgetRequest(w, r)
	if req == nil {
		return
	}
	ip := clientIP(r, s.cfg.TrustedProxies)
	if ok, wait := s.clientLimits.Allow(ip, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()+0.999))))
		s.writePageError(w, http.StatusTooManyRequests, "", "Too many answers at once. Wait a moment, then go back and try again.", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.writePageError(w, http.StatusBadRequest, "", "This form could not be read.", req.pageURL(req.visit))
		return
	}
	v := req.visit
	if v.View == "" {
		v.View = r.PostForm.Get(fit.FieldView)
		if !event.ValidUUIDv7(v.View) {
			s.writePageError(w, http.StatusBadRequest, "", "This form has no valid view id.", req.pageURL(fit.Visit{}))
			return
		}
	}
	var happened []fit.Happened
	switch r.PostForm.Get(fit.FieldDo) {
	case fit.DoNext:
		if happened = v.Answer(req.widget, r.PostForm.Get(fit.FieldOption)); happened == nil {
			s.writePageError(w, http.StatusBadRequest, "", "Choose one of the answers, then press the button again.", req.pageURL(v))
			return
		}
	case fit.DoBack:
		v.Back()
	case fit.DoRestart:
		happened = []fit.Happened{v.Restart()}
	case fit.DoWorksheet, fit.DoCopy:
		owners, err := formOwners(req.widget, r.PostForm)
		if err != nil {
			s.writePageError(w, http.StatusBadRequest, "", "The worksheet could not be read ("+err.Error()+").", req.pageURL(v))
			return
		}
		v.Owners = owners
		v.ShowText = r.PostForm.Get(fit.FieldDo) == fit.DoCopy
		happened = []fit.Happened{v.WorksheetDone(req.widget)}
	default:
		s.writePageError(w, http.StatusBadRequest, "", "This form's button is not one the widget has.", req.pageURL(v))
		return
	}
	if len(happened) > 0 && (happened[0].Type == event.QuizStarted || happened[0].Type == event.WorksheetCompleted) {
		// A visitor who answers has loaded and seen the widget; without
		// the wasm nothing else says so. Their ids are the ones the wasm
		// would use, so it never counts them twice.
		happened = append([]fit.Happened{{Type: event.WidgetLoaded}, {Type: event.WidgetViewed}}, happened...)
	}
	if consented(req.query.Get("consent"), r.PostForm.Get(fit.FieldConsent)) {
		if !s.recordSteps(w, r, req, v.View, happened) {
			return
		}
	}
	// The host page's consent, as frame.js last heard it, goes on in the
	// next page's URL: the loader tells a widget the host's state once a
	// visit, not at every step.
	if req.query.Has("consent") {
		switch r.PostForm.Get(fit.FieldConsent) {
		case "granted":
			req.query.Set("consent", "granted")
		case "denied":
			req.query.Set("consent", "required")
		}
	}
	// The fragment names where the visitor lands; frame.js moves the
	// focus there, as the wasm does when it changes steps in place.
	landing := "#ff-q-heading"
	switch {
	case happened != nil && happened[len(happened)-1].Type == event.WorksheetCompleted:
		landing = "#ff-ws-heading"
	case v.ShowsResult(req.widget):
		landing = "#ff-result-heading"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, req.pageURL(v)+landing, http.StatusSeeOther)
}

// handleWidgetCTA handles "GET /w/{widget}/cta": the widget's call to
// action goes through us, so a click is recorded with or without the wasm,
// and then on to the partner's (or the content's) URL, attributed. The
// query is the widget page's, with its visit: the outcome on screen.
func (s *Server) handleWidgetCTA(w http.ResponseWriter, r *http.Request) {
	req := s.widgetRequest(w, r)
	if req == nil {
		return
	}
	outcome := ""
	if req.visit.ShowsResult(req.widget) {
		outcome = string(req.visit.Result(req.widget).Outcome)
	}
	_, to := req.widget.CTA.For(outcome)
	if to == "" {
		s.writePageError(w, http.StatusNotFound, "", "This widget has no call to action.", "")
		return
	}
	ip := clientIP(r, s.cfg.TrustedProxies)
	if ok, _ := s.clientLimits.Allow(ip, s.now()); ok && req.visit.View != "" &&
		consented(req.query.Get("consent"), "") {
		if !s.recordSteps(w, r, req, req.visit.View, []fit.Happened{req.visit.CTAClicked(req.widget)}) {
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// consented reports whether a widget may record: the page's consent
// parameter (the loader's, when the page was framed) unless frame.js has
// told the form the host page's consent since.
func consented(page, form string) bool {
	switch form {
	case "granted":
		return true
	case "denied":
		return false
	}
	return page != "required"
}

// formOwners reads the worksheet's selects from a form: every
// responsibility of w may be set once to one of content.Owners.
func formOwners(w *content.Widget, form url.Values) (fit.Ownership, error) {
	owners := fit.Ownership{}
	for _, r := range w.Worksheet.Responsibilities {
		vs := form[fit.FieldOwnerPrefix+r.ID]
		if len(vs) == 0 {
			continue
		}
		o := content.Owner(vs[0])
		if len(vs) > 1 || !o.Valid() {
			return nil, errors.New(fit.FieldOwnerPrefix + r.ID + ": not one of the owners")
		}
		if o != content.OwnerUndecided {
			owners[r.ID] = o
		}
	}
	for k := range form {
		if id, ok := strings.CutPrefix(k, fit.FieldOwnerPrefix); ok {
			if _, known := w.Responsibility(id); !known {
				return nil, errors.New(k + ": no such responsibility")
			}
		}
	}
	return owners, nil
}

// recordSteps stores the events of a native form's step, as the ingest
// would from the wasm: the same context, privacy rules and group commit.
// It reports false when it has answered with an error page.
func (s *Server) recordSteps(w http.ResponseWriter, r *http.Request, req *widgetRequest, view string, happened []fit.Happened) bool {
	if len(happened) == 0 {
		return true
	}
	now := s.now()
	if ok, _ := s.partnerLimits.Allow(req.partner.ID, now); !ok {
		return true // the step still works; its events are dropped, as the ingest's 429 would
	}
	q := req.query
	b := event.Batch{
		Partner:        req.partner.ID,
		Widget:         req.widget.ID,
		View:           view,
		Locale:         req.widget.Locale,
		ContentVersion: req.widget.Version,
		UTM: event.UTM{Source: q.Get("utm_source"), Medium: q.Get("utm_medium"), Campaign: q.Get("utm_campaign"),
			Term: q.Get("utm_term"), Content: q.Get("utm_content")},
		Test: q.Has("test"),
		Bot:  isCrawler(r.UserAgent()),
	}
	if o := q.Get("origin"); o != "" {
		b.Page = event.Page{Origin: o, Path: q.Get("path")}
	}
	for _, h := range happened {
		b.Events = append(b.Events, event.Event{ID: event.DerivedID(view, h.Type, h.N), Type: h.Type, At: now.UTC(), Data: h.Data})
	}
	if err := b.Validate(now); err != nil {
		s.log.ErrorContext(r.Context(), "a widget form's events do not validate", "err", err)
		s.writePageError(w, http.StatusInternalServerError, "", "This answer could not be recorded.", "")
		return false
	}
	s.metrics.batchEvents.Observe(float64(len(b.Events)))
	ip := clientIP(r, s.cfg.TrustedProxies)
	_, err := s.committer.Submit(r.Context(), store.Batch{Batch: b, ReceivedAt: now, Visitor: s.visitors.Hash(r, req.partner.ID, ip.String(), now)})
	switch {
	case err == nil:
		return true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false // the visitor went away; the batch is committed all the same
	}
	s.metrics.rejected.WithLabelValues("store").Inc()
	s.log.ErrorContext(r.Context(), "storing a widget form's events failed", "err", err)
	w.Header().Set("Retry-After", "5")
	s.writePageError(w, http.StatusServiceUnavailable, "", "Your answer could not be saved just now. Go back and try again in a moment.", "")
	return false
}
