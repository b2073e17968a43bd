package server

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/ehforge/forgefit/stats"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/html"
)

//go:embed dashboard.html
var dashboardFiles embed.FS

// dashboardTime is how the dashboard prints a moment.
const dashboardTime = "2 Jan 2006, 15:04 UTC"

// dashboard renders marketing's dashboard: server-side HTML, no scripts,
// minified.
type dashboard struct {
	tmpl *template.Template
	min  *minify.M
}

func newDashboard() (*dashboard, error) {
	tmpl, err := template.New("dashboard.html").Funcs(template.FuncMap{
		"num":    groupThousands,
		"plural": plural,
	}).ParseFS(dashboardFiles, "dashboard.html")
	if err != nil {
		return nil, err
	}
	m := minify.New()
	m.Add("text/html", &html.Minifier{KeepEndTags: true, KeepDocumentTags: true, KeepQuotes: true})
	return &dashboard{tmpl: tmpl, min: m}, nil
}

// dashboardPage is what the template shows: the sign-in page, an opened
// sign-in link, a sign-in link just created, or the figures.
type dashboardPage struct {
	SignedIn bool
	Error    string
	Admin    bool
	Viewer   string // the signed-in partner's name, when not admin
	CSRF     string

	Invite  *invite      // a sign-in link, opened
	Created *createdLink // a sign-in link the admin just created

	Partner     string // the partner shown; "" for all
	PartnerName string
	Widget      string // the widget shown; "" for all
	From, To    string
	Range       string // the range in words
	Partners    []choice
	Widgets     []choice
	ShareDays   []int
	DefaultDays int

	Stats    *stats.Stats
	Headline []headlineFigure
	Compared string // "previous 30 days"
	Chart    chart
	Funnel   questionFunnel
	Answers  []questionSplit
	// AnswersOther and CTAsOther sum what the capped lists leave out
	// of the answers by question and the CTA tables; nil when nothing.
	AnswersOther *shareRow
	Outcomes     []shareRow
	CTAs         []ctaTable
	CTAsOther    *shareRow
	FAQs         []shareRow
	Worksheet    []worksheetRow
	CSVURL       string
	Generated    string
}

// choice is an option of a select: a value and the words shown for it.
type choice struct{ Value, Text string }

// handleDashboard handles "GET /dashboard": the sign-in page, a sign-in
// link (?link=), or the figures for the signed-in viewer.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	if token := r.URL.Query().Get("link"); token != "" {
		s.showInvite(w, r, token)
		return
	}
	v, ok := s.viewerOf(r)
	if !ok || bearerToken(r) != "" {
		s.renderDashboard(w, r, http.StatusOK, &dashboardPage{})
		return
	}
	cookie, _ := r.Cookie(sessionCookie)
	page := &dashboardPage{SignedIn: true, Admin: v.admin, Viewer: s.partnerName(v.partner), CSRF: s.sessions.csrf(cookie.Value)}
	q, err := s.parseStatsQuery(r, v)
	if err != nil {
		status := http.StatusBadRequest
		if e, ok := err.(*Error); ok {
			status = statusOf[e.Code]
		}
		page.Error = err.Error()
		s.renderDashboard(w, r, status, page)
		return
	}
	cur, err := s.stats(r, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	prev, err := s.stats(r, q.previous())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	labels := newDashboardLabels(s.cfg.Content, q.widget)
	page.Partner, page.PartnerName = q.partner, s.partnerName(q.partner)
	page.Widget, page.From, page.To = q.widget, q.from.Format(time.DateOnly), q.to.Format(time.DateOnly)
	page.Range = dayRange(q.from, q.to)
	page.Stats = cur
	page.Compared = previousPeriod(q.days())
	page.Headline = newHeadline(cur, prev, page.Compared)
	page.Chart = newChart(cur, q.from, q.to)
	page.Funnel = newFunnel(cur, labels)
	page.Answers, page.AnswersOther = newAnswerSplit(cur, labels)
	page.Outcomes = newOutcomes(cur, labels)
	page.CTAs, page.CTAsOther = newCTATables(cur, labels)
	page.FAQs = newFAQs(cur, labels)
	page.Worksheet = newWorksheet(cur, labels)
	page.Generated = s.now().UTC().Format(dashboardTime)
	for _, id := range s.cfg.Content.IDs() {
		title := id
		if wc, err := s.cfg.Content.Widget(id, content.DefaultLocale); err == nil && wc.Title != "" {
			title = wc.Title
		}
		page.Widgets = append(page.Widgets, choice{id, title})
	}
	if v.admin {
		for _, id := range s.partners.Load().IDs() {
			page.Partners = append(page.Partners, choice{id, s.partnerName(id)})
		}
		page.ShareDays, page.DefaultDays = shareLinkDays, defaultShareDays
	}
	csvQuery := url.Values{"from": {page.From}, "to": {page.To}}
	if q.partner != "" {
		csvQuery.Set("partner", q.partner)
	}
	if q.widget != "" {
		csvQuery.Set("widget", q.widget)
	}
	page.CSVURL = "/dashboard/stats.csv?" + csvQuery.Encode()
	s.renderDashboard(w, r, http.StatusOK, page)
}

// partnerName is the registered name of partner id: the id itself when the
// partner is no longer registered, "" for all partners.
func (s *Server) partnerName(id string) string {
	if p, ok := s.partners.Load().Partner(id); ok && p.Name != "" {
		return p.Name
	}
	return id
}

// handleDashboardCSV handles "GET /dashboard/stats.csv": the CSV export for
// a signed-in session (the API route wants a bearer token).
func (s *Server) handleDashboardCSV(w http.ResponseWriter, r *http.Request) {
	s.handleStatsCSV(w, r)
}

// handleLogin handles "POST /dashboard/login": a sign-in link's token
// (link) or an access token (token) in, a session cookie out.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		s.writeError(w, r, Errorf(EForbidden, "sign in from the dashboard's own page"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, r, Errorf(EInvalid, "the form could not be read"))
		return
	}
	now := s.now()
	key, err := s.authGate(r)
	if err != nil {
		s.refuseSignIn(w, r, err)
		return
	}
	if token := r.PostForm.Get("link"); token != "" {
		l, p, err := s.shareLinkOf(token)
		if err != nil {
			s.refuseLink(w, r, key, err)
			return
		}
		s.log.InfoContext(r.Context(), "dashboard sign-in with a link", "partner", p.ID, "link_expires", l.expires)
		s.startSession(w, r, viewer{partner: p.ID}, kindLink, now, l.expires)
		return
	}
	v, ok := s.viewerOfToken(r.PostForm.Get("token"))
	if !ok {
		if err := s.authFailed(key); err != nil {
			s.refuseSignIn(w, r, err)
			return
		}
		s.renderDashboard(w, r, http.StatusUnauthorized, &dashboardPage{Error: "That access token is not valid."})
		return
	}
	kind := kindPartner
	if v.admin {
		kind = kindAdmin
	}
	s.startSession(w, r, v, kind, now, now.Add(s.sessions.ttl))
}

// startSession sets the cookie of a new session of kind for v, which
// lasts the session's ttl or until until, whichever comes first (a link's
// session ends with the link), and sends the browser to the dashboard.
// The session names the credential that v just showed (credentialOf).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, v viewer, kind string, now, until time.Time) {
	expires := now.Add(s.sessions.ttl)
	if until.Before(expires) {
		expires = until
	}
	credential, _ := s.credentialOf(kind, v.partner)
	sess := newSession(v, kind, expires, credential)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.sessions.issue(sess), Path: "/dashboard",
		MaxAge: max(1, int(until.Sub(now).Seconds())), HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secure(r),
	})
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// sessionPost reads a state-changing dashboard post: its body bounded, from
// our own origin, with the session's CSRF token. It returns the session's
// cookie, or false when any of that fails.
func (s *Server) sessionPost(w http.ResponseWriter, r *http.Request) (*http.Cookie, bool) {
	cookie, err := r.Cookie(sessionCookie)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err != nil || !s.sameOrigin(r) || r.ParseForm() != nil ||
		!hmacEqual(r.PostForm.Get("csrf"), s.sessions.csrf(cookie.Value)) {
		return nil, false
	}
	return cookie, true
}

// handleLogout handles "POST /dashboard/logout": the session ends for
// good, on every server sharing the store, before its cookie is cleared.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	cookie, ok := s.sessionPost(w, r)
	if !ok {
		s.writeError(w, r, Errorf(EForbidden, "sign out from the dashboard's own page"))
		return
	}
	if err := s.endSession(r.Context(), cookie.Value); err != nil {
		s.log.ErrorContext(r.Context(), "ending a dashboard session failed", "err", err)
		s.writeUnavailable(w, r, 5, "signing out failed: you are still signed in; try again shortly")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/dashboard", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r),
	})
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// sameOrigin rejects cross-site form posts: the Origin header (sent with
// every POST by current browsers) must be ours.
func (s *Server) sameOrigin(r *http.Request) bool {
	return r.Header.Get("Origin") == s.publicOrigin(r)
}

// secure reports whether cookies must be Secure: the request came over
// TLS, or the public URL is https (TLS ends at a proxy).
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || (s.cfg.PublicURL != nil && s.cfg.PublicURL.Scheme == "https")
}

func (s *Server) renderDashboard(w http.ResponseWriter, r *http.Request, status int, page *dashboardPage) {
	s.renderPage(w, r, status, s.dashboard.tmpl, page, dashboardCSP)
}

// dashboardCSP is the dashboard pages' policy: our stylesheet and images,
// forms posted to us, framed by no one.
const dashboardCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// renderPage writes one of the dashboard's pages (the Engagement,
// Installations and Embed pages): tmpl run on page, minified, private,
// under csp and never framed.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, tmpl *template.Template, page any, csp string) {
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, page); err != nil {
		s.writeError(w, r, fmt.Errorf("rendering %s: %w", tmpl.Name(), err))
		return
	}
	var out bytes.Buffer
	if err := s.dashboard.min.Minify("text/html", &out, &buf); err != nil {
		s.writeError(w, r, fmt.Errorf("minifying %s: %w", tmpl.Name(), err))
		return
	}
	writeHTMLPage(w, status, out.Bytes(), "DENY", csp)
}

// writeHTMLPage writes a page of ours that is for the signed-in viewer
// alone: never stored, framed only as frameOptions says.
func writeHTMLPage(w http.ResponseWriter, status int, page []byte, frameOptions, csp string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", frameOptions)
	// A sign-in link may sit in a page's URL: never send it to another
	// site. (Not no-referrer: that makes a form post's Origin "null", and
	// sign-in checks the Origin.)
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(page)
}

// headlineFigure is one count of the headline with its change against the
// previous period and, for some, a rate.
type headlineFigure struct {
	Label  string
	Value  int64
	Change string
	Sub    string
}

func newHeadline(cur, prev *stats.Stats, compared string) []headlineFigure {
	c, p := cur.Totals, prev.Totals
	empty := prev.FreshAsOf == nil // the previous period counted nothing at all
	fig := func(label string, cur, prev int64, sub string) headlineFigure {
		return headlineFigure{label, cur, change(cur, prev, empty, compared), sub}
	}
	return []headlineFigure{
		fig("Views", c.Views, p.Views, shareText(c.Views, c.Loads, "load")),
		fig("Visitors", c.Visitors, p.Visitors, "unique each day, summed"),
		fig("Quiz starts", c.QuizStarts, p.QuizStarts, shareText(c.QuizStarts, c.Views, "view")),
		fig("Completions", c.Completions, p.Completions, shareText(c.Completions, c.QuizStarts, "quiz start")),
		fig("CTA clicks", c.CTAClicks, p.CTAClicks, shareText(c.CTAClicks, c.Views, "view")),
		fig("FAQ opens", c.FAQOpens, p.FAQOpens, ""),
		fig("Worksheets", c.WorksheetCompletions, p.WorksheetCompletions, "completed"),
	}
}

// shareText says what share of base things n is: "12% of 1,024 loads",
// "0% of 0 loads", or, when a base of zero gives no share, "no loads
// counted".
func shareText(n, base int64, thing string) string {
	p := shareOf(n, base)
	if p.NA {
		return "no " + thing + "s counted"
	}
	return p.Text + " of " + groupThousands(base) + " " + plural(base, thing)
}

// plural is thing, with an s unless n is one.
func plural(n int64, thing string) string {
	if n == 1 {
		return thing
	}
	return thing + "s"
}

// previousPeriod names the period a range is compared with.
func previousPeriod(days int) string {
	if days == 1 {
		return "previous day"
	}
	return fmt.Sprintf("previous %d days", days)
}

// change says how cur compares with prev, the same figure over the
// previous period; prevEmpty says that period counted nothing at all.
func change(cur, prev int64, prevEmpty bool, compared string) string {
	switch {
	case cur == prev:
		return "no change vs " + compared
	case prev == 0 && prevEmpty:
		return "no data in the " + compared
	case prev == 0:
		return "up from 0 in the " + compared
	}
	d := (float64(cur) - float64(prev)) / float64(prev) * 100
	sign := "+"
	if d < 0 {
		sign, d = "−", -d // a minus sign, which screen readers say
	}
	text := fmt.Sprintf("%.0f%%", d)
	if d < 1 {
		text = fmt.Sprintf("%.1f%%", d)
	}
	return sign + text + " vs " + compared
}

// pct is a share as the dashboard prints it. A share of a zero base is 0%
// when the count is zero too; with a count, it is not available (NA).
type pct struct {
	Text string
	NA   bool
}

func shareOf(n, base int64) pct {
	switch {
	case base > 0:
		return pct{Text: percentText(stats.Ratio(n, base))}
	case n == 0:
		return pct{Text: "0%"}
	}
	return pct{NA: true}
}

// percentText prints a ratio as a percentage with at most one decimal:
// "0%", "12%", "12.5%".
func percentText(f float64) string {
	v := math.Round(f*1000) / 10
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}

// barLength is n's bar, 0 to 100, against top; a count that is not zero
// always shows.
func barLength(n, top int64) float64 {
	if n <= 0 || top <= 0 {
		return 0
	}
	return math.Max(round1(float64(n)/float64(top)*100), 0.5)
}

// chart is the daily chart: a table of days (weeks, for long ranges) with
// each day's views and completions as numbers and bars.
type chart struct {
	Unit    string // "Day" or "Week"
	Caption string
	Max     int64
	Rows    []chartRow
}

type chartRow struct {
	Date, Label          string // the first day (YYYY-MM-DD), and in words
	Views, Completions   int64
	ViewsBar, Completion float64 // bar lengths, 0 to 100
}

// chartDaysMax is the longest range drawn day by day; longer ones are
// drawn by week, so a year is some 53 rows rather than 365.
const chartDaysMax = 92

func newChart(st *stats.Stats, from, to time.Time) chart {
	c := chart{Unit: "Day"}
	step := 1
	if len(st.Days) > chartDaysMax {
		c.Unit, step = "Week", 7
	}
	oneYear := from.Year() == to.Year()
	for i := 0; i < len(st.Days); i += step {
		days := st.Days[i:min(i+step, len(st.Days))]
		first, _ := time.Parse(time.DateOnly, days[0].Day)
		last, _ := time.Parse(time.DateOnly, days[len(days)-1].Day)
		row := chartRow{Date: days[0].Day, Label: dayLabel(first, oneYear, step == 1)}
		if step > 1 {
			row.Label = dayRange(first, last)
		}
		for _, d := range days {
			row.Views += d.Views
			row.Completions += d.Completions
		}
		c.Max = max(c.Max, row.Views, row.Completions)
		c.Rows = append(c.Rows, row)
	}
	for i := range c.Rows {
		c.Rows[i].ViewsBar = barLength(c.Rows[i].Views, c.Max)
		c.Rows[i].Completion = barLength(c.Rows[i].Completions, c.Max)
	}
	per := "day"
	if step > 1 {
		per = "week"
	}
	c.Caption = fmt.Sprintf("Views and quiz completions per %s, %s (UTC). Bars are drawn against the highest %s: %s.",
		per, dayRange(from, to), per, groupThousands(c.Max))
	return c
}

// dayLabel names a day in the chart: "Mon 3 Nov", with the year when the
// range spans more than one.
func dayLabel(d time.Time, oneYear, weekday bool) string {
	layout := "2 Jan 2006"
	if oneYear {
		layout = "2 Jan"
	}
	if weekday {
		layout = "Mon " + layout
	}
	return d.Format(layout)
}

// dayRange names a range of days: "3 Nov 2026", "3 – 9 Nov 2026",
// "28 Dec 2026 – 3 Jan 2027".
func dayRange(from, to time.Time) string {
	switch {
	case from.Equal(to):
		return from.Format("2 Jan 2006")
	case from.Year() != to.Year():
		return from.Format("2 Jan 2006") + " – " + to.Format("2 Jan 2006")
	case from.Month() != to.Month():
		return from.Format("2 Jan") + " – " + to.Format("2 Jan 2006")
	}
	return from.Format("2") + " – " + to.Format("2 Jan 2006")
}

// questionFunnel is the question funnel: the answers to each question from the
// quiz starts on, and what each step lost.
type questionFunnel struct {
	Starts, Completions int64
	CompletionRate      pct
	Steps               []funnelStep
}

type funnelStep struct {
	N       int // the question's number in the quiz; 0 for the "other" row
	Label   label
	Answers int64
	Bar     float64
	DropOff string // of the step before: quiz starts for the first question; "" for the "other" row
}

func newFunnel(st *stats.Stats, l dashboardLabels) questionFunnel {
	f := questionFunnel{Starts: st.Totals.QuizStarts, Completions: st.Totals.Completions, CompletionRate: shareOf(st.Totals.Completions, st.Totals.QuizStarts)}
	top := f.Starts
	for _, q := range st.Questions {
		top = max(top, q.Answers)
	}
	for _, q := range st.Questions {
		if q.Other > 0 {
			f.Steps = append(f.Steps, funnelStep{Label: otherLabel(q.Other, "question", "questions"), Answers: q.Answers, Bar: barLength(q.Answers, top)})
			continue
		}
		f.Steps = append(f.Steps, funnelStep{
			N: questionNumber(l, q.Question, q.Index), Label: l.question(q.Question),
			Answers: q.Answers, Bar: barLength(q.Answers, top), DropOff: percentText(q.DropOff),
		})
	}
	return f
}

// questionNumber is a question's number as visitors see it: its place in
// the content, or the index the events carried for a retired one.
func questionNumber(l dashboardLabels, id string, index int) int {
	if _, i, ok := l.questionOf(id); ok {
		return i + 1
	}
	return index + 1
}

// questionSplit is how the answers to one question split over its options.
type questionSplit struct {
	N       int
	Label   label
	Answers int64
	Options []shareRow
}

// shareRow is a count, its share of a whole and its bar.
type shareRow struct {
	Label label
	Count int64
	Share pct
	Bar   float64
}

// newAnswerSplit lists every question of the content, then the retired
// ones that got answers, each with every option of the content, then the
// retired options that were chosen, then the options the capped list left
// out. The questions the funnel left out come apart, as other.
func newAnswerSplit(st *stats.Stats, l dashboardLabels) (splits []questionSplit, other *shareRow) {
	byID := map[string]stats.QuestionStats{}
	for _, q := range st.Questions {
		if q.Other > 0 {
			other = &shareRow{Label: otherLabel(q.Other, "question", "questions"), Count: q.Answers}
			continue
		}
		byID[q.Question] = q
	}
	add := func(id string, index int) {
		q := byID[id]
		counts := map[string]int64{}
		options, rest := listed(q.Options)
		for _, o := range options {
			counts[o.Value] = o.Count
		}
		split := questionSplit{N: questionNumber(l, id, index), Label: l.question(id), Answers: q.Answers}
		for _, o := range ordered(l.optionIDs(id), options) {
			split.Options = append(split.Options, shareRow{
				Label: l.option(id, o), Count: counts[o], Share: shareOf(counts[o], q.Answers), Bar: barLength(counts[o], q.Answers),
			})
		}
		if rest.Other > 0 {
			split.Options = append(split.Options, shareRow{
				Label: otherLabel(rest.Other, "option", "options"), Count: rest.Count, Share: shareOf(rest.Count, q.Answers), Bar: barLength(rest.Count, q.Answers),
			})
		}
		splits = append(splits, split)
	}
	known := map[string]bool{}
	for _, id := range l.questionIDs() {
		known[id] = true
		add(id, 0)
	}
	for _, q := range st.Questions {
		if !known[q.Question] && q.Other == 0 {
			add(q.Question, q.Index)
		}
	}
	return splits, other
}

// listed splits a ranked list into the values it lists and its "other"
// row (zero when it has none).
func listed(rs []stats.Ranked) ([]stats.Ranked, stats.Ranked) {
	if n := len(rs); n > 0 && rs[n-1].Other > 0 {
		return rs[:n-1], rs[n-1]
	}
	return rs, stats.Ranked{}
}

// ordered lists the content's ids, then the other values counted, largest
// first (as ranked).
func ordered(ids []string, counted []stats.Ranked) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids)+len(counted))
	for _, id := range ids {
		seen[id] = true
		out = append(out, id)
	}
	for _, r := range counted {
		if !seen[r.Value] {
			seen[r.Value] = true
			out = append(out, r.Value)
		}
	}
	return out
}

// newOutcomes is the split of completed quizzes by recommendation.
func newOutcomes(st *stats.Stats, l dashboardLabels) []shareRow {
	var total int64
	for _, n := range st.Outcomes {
		total += n
	}
	var out []shareRow
	for _, o := range ordered(l.outcomeIDs(), stats.Rank(st.Outcomes, 0)) {
		n := st.Outcomes[o]
		out = append(out, shareRow{Label: l.outcome(o), Count: n, Share: shareOf(n, total), Bar: barLength(n, total)})
	}
	return out
}

// ctaTable is the clicks on one call to action by the recommendation on
// screen, each against the times that recommendation was shown.
type ctaTable struct {
	Label  label
	Clicks int64
	Rows   []ctaRow
}

type ctaRow struct {
	Outcome label
	// Words are the call to action's words with that recommendation on
	// screen (the content may give each outcome its own).
	Words         string
	Clicks, Shown int64
	Rate          pct
}

func newCTATables(st *stats.Stats, l dashboardLabels) (tables []ctaTable, other *shareRow) {
	clicks := map[string]map[string]int64{} // CTA → outcome → clicks
	total := map[string]int64{}
	for _, c := range st.CTAs {
		if c.Other > 0 {
			other = &shareRow{Label: otherLabel(c.Other, "call to action and recommendation", "calls to action and recommendations"), Count: c.Clicks}
			continue
		}
		if clicks[c.CTA] == nil {
			clicks[c.CTA] = map[string]int64{}
		}
		clicks[c.CTA][c.Outcome] += c.Clicks
		total[c.CTA] += c.Clicks
	}
	for _, id := range ordered(l.ctaIDs(), stats.Rank(total, 0)) {
		t := ctaTable{Label: l.cta(id), Clicks: total[id]}
		for _, o := range ordered(l.outcomeIDs(), stats.Rank(clicks[id], 0)) {
			n, shown := clicks[id][o], st.Recommendations[o]
			t.Rows = append(t.Rows, ctaRow{Outcome: l.outcome(o), Words: l.ctaWords(id, o), Clicks: n, Shown: shown, Rate: shareOf(n, shown)})
		}
		tables = append(tables, t)
	}
	return tables, other
}

// newFAQs lists every FAQ entry of the content, then retired ones opened,
// then those the capped list left out, with its share of all FAQ opens.
func newFAQs(st *stats.Stats, l dashboardLabels) []shareRow {
	counts := map[string]int64{}
	var total int64
	faqs, rest := listed(st.FAQs)
	for _, f := range st.FAQs {
		counts[f.Value] = f.Count
		total += f.Count
	}
	var out []shareRow
	for _, id := range ordered(l.faqIDs(), faqs) {
		out = append(out, shareRow{Label: l.faq(id), Count: counts[id], Share: shareOf(counts[id], total), Bar: barLength(counts[id], total)})
	}
	if rest.Other > 0 {
		out = append(out, shareRow{Label: otherLabel(rest.Other, "FAQ entry", "FAQ entries"), Count: rest.Count, Share: shareOf(rest.Count, total), Bar: barLength(rest.Count, total)})
	}
	return out
}

// worksheetRow is one responsibility that completed worksheets left shared
// or undecided.
type worksheetRow struct {
	Label             label
	Shared, Undecided int64
}

// newWorksheet lists the responsibilities most often left shared or
// undecided, at most stats.MaxResponsibilities, then one row for the others.
func newWorksheet(st *stats.Stats, l dashboardLabels) []worksheetRow {
	both := map[string]int64{}
	rows := map[string]*worksheetRow{}
	row := func(id string) *worksheetRow {
		if rows[id] == nil {
			rows[id] = &worksheetRow{Label: l.responsibility(id)}
		}
		return rows[id]
	}
	shared, sharedRest := listed(st.Worksheet.Shared)
	undecided, undecidedRest := listed(st.Worksheet.Undecided)
	for _, r := range shared {
		row(r.Value).Shared += r.Count
		both[r.Value] += r.Count
	}
	for _, r := range undecided {
		row(r.Value).Undecided += r.Count
		both[r.Value] += r.Count
	}
	other := worksheetRow{Shared: sharedRest.Count, Undecided: undecidedRest.Count}
	var out []worksheetRow
	for i, r := range stats.Rank(both, 0) {
		if i < stats.MaxResponsibilities {
			out = append(out, *rows[r.Value])
			continue
		}
		other.Shared += rows[r.Value].Shared
		other.Undecided += rows[r.Value].Undecided
	}
	if other.Shared > 0 || other.Undecided > 0 {
		// The two lists' "other" rows may hold the same responsibility,
		// so this row gives no count of them.
		other.Label = label{Text: "Other responsibilities, not listed", Other: true}
		out = append(out, other)
	}
	return out
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + groupThousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// hmacEqual compares two MACs in constant time.
func hmacEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
