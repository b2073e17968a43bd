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

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/html"
)

//go:embed dashboard.html
var dashboardFiles embed.FS

// dashboard renders marketing's dashboard: server-side HTML, no scripts,
// minified.
type dashboard struct {
	tmpl *template.Template
	min  *minify.M
}

func newDashboard() (*dashboard, error) {
	tmpl, err := template.New("dashboard.html").Funcs(template.FuncMap{
		"num":    func(n int64) string { return groupThousands(n) },
		"pct":    func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
		"change": change,
	}).ParseFS(dashboardFiles, "dashboard.html")
	if err != nil {
		return nil, err
	}
	m := minify.New()
	m.Add("text/html", &html.Minifier{KeepEndTags: true, KeepDocumentTags: true, KeepQuotes: true})
	return &dashboard{tmpl: tmpl, min: m}, nil
}

// dashboardPage is what the template shows.
type dashboardPage struct {
	SignedIn  bool
	Error     string
	Admin     bool
	Viewer    string // the signed-in partner, when not admin
	CSRF      string
	Partner   string // the partner shown; "" for all
	Widget    string // the widget shown; "" for all
	From, To  string
	Partners  []string
	Widgets   []string
	Stats     *Stats
	Previous  *Stats
	Chart     chart
	Funnel    []funnelStep
	Outcomes  []outcomeShare
	CSVURL    string
	Generated string
}

type funnelStep struct {
	Label   string
	Count   int64
	Width   float64 // % of the first step
	DropOff float64
}

type outcomeShare struct {
	Label string
	Count int64
	Share float64
}

// chart is a daily bar chart of views with completions drawn over them,
// laid out here so the template only places shapes.
type chart struct {
	Width, Height float64
	Bars          []chartBar
	Max           int64
	Label         string
}

type chartBar struct {
	X, W                  float64
	ViewsY, ViewsH        float64
	CompletedY, CompleteH float64
	Title                 string
}

// handleDashboard handles "GET /dashboard": the sign-in form, or the
// figures for the signed-in viewer.
func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) {
	v, ok := s.viewerOf(r)
	if !ok || bearerToken(r) != "" {
		s.renderDashboard(w, r, http.StatusOK, &dashboardPage{})
		return
	}
	cookie, _ := r.Cookie(sessionCookie)
	q, err := s.parseStatsQuery(r, v)
	if err != nil {
		status := http.StatusBadRequest
		if e, ok := err.(*Error); ok {
			status = statusOf[e.Code]
		}
		s.renderDashboard(w, r, status, &dashboardPage{SignedIn: true, Admin: v.admin, Viewer: v.partner, CSRF: s.sessions.csrf(cookie.Value), Error: err.Error()})
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
	page := &dashboardPage{
		SignedIn: true, Admin: v.admin, Viewer: v.partner, CSRF: s.sessions.csrf(cookie.Value),
		Partner: q.partner, Widget: q.widget, From: q.from.Format(time.DateOnly), To: q.to.Format(time.DateOnly),
		Widgets: s.cfg.Content.IDs(), Stats: cur, Previous: prev,
		Chart: newChart(cur), Funnel: newFunnel(cur), Outcomes: newOutcomes(cur),
		Generated: s.now().UTC().Format("2006-01-02 15:04 UTC"),
	}
	if v.admin {
		page.Partners = s.partners.Load().IDs()
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

// handleDashboardCSV handles "GET /dashboard/stats.csv": the CSV export for
// a signed-in session (the API route wants a bearer token).
func (s *Server) handleDashboardCSV(w http.ResponseWriter, r *http.Request) {
	s.handleStatsCSV(w, r)
}

// handleLogin handles "POST /dashboard/login": a token in, a session
// cookie out.
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
	v, ok := s.viewerOfToken(r.PostForm.Get("token"))
	if !ok {
		s.renderDashboard(w, r, http.StatusUnauthorized, &dashboardPage{Error: "That token is not valid."})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.sessions.issue(v, s.now()), Path: "/dashboard",
		MaxAge: int(s.sessions.ttl.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secure(r),
	})
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// handleLogout handles "POST /dashboard/logout".
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	cookie, err := r.Cookie(sessionCookie)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err != nil || !s.sameOrigin(r) || r.ParseForm() != nil ||
		!hmacEqual(r.PostForm.Get("csrf"), s.sessions.csrf(cookie.Value)) {
		s.writeError(w, r, Errorf(EForbidden, "sign out from the dashboard's own page"))
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
	var buf bytes.Buffer
	if err := s.dashboard.tmpl.Execute(&buf, page); err != nil {
		s.writeError(w, r, fmt.Errorf("rendering the dashboard: %w", err))
		return
	}
	var out bytes.Buffer
	if err := s.dashboard.min.Minify("text/html", &out, &buf); err != nil {
		s.writeError(w, r, fmt.Errorf("minifying the dashboard: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

func newChart(st *Stats) chart {
	c := chart{Width: 720, Height: 180, Label: "Daily views (bars) and completions (dark bars), UTC days"}
	for _, d := range st.Days {
		c.Max = max(c.Max, d.Views, d.Completions)
	}
	n := float64(len(st.Days))
	if n == 0 {
		return c
	}
	slot := c.Width / n
	scale := 0.0
	if c.Max > 0 {
		scale = (c.Height - 10) / float64(c.Max)
	}
	for i, d := range st.Days {
		vh, ch := float64(d.Views)*scale, float64(d.Completions)*scale
		c.Bars = append(c.Bars, chartBar{
			X: round1(float64(i)*slot + slot*0.1), W: round1(math.Max(slot*0.8, 0.5)),
			ViewsY: round1(c.Height - vh), ViewsH: round1(vh),
			CompletedY: round1(c.Height - ch), CompleteH: round1(ch),
			Title: fmt.Sprintf("%s: %d views, %d completions", d.Day, d.Views, d.Completions),
		})
	}
	return c
}

func newFunnel(st *Stats) []funnelStep {
	steps := []funnelStep{{Label: "Quiz started", Count: st.Totals.QuizStarts}}
	for _, q := range st.Questions {
		steps = append(steps, funnelStep{Label: fmt.Sprintf("Q%d %s", q.Index+1, q.Question), Count: q.Answers, DropOff: q.DropOff})
	}
	steps = append(steps, funnelStep{Label: "Completed", Count: st.Totals.Completions})
	top := steps[0].Count
	for _, s := range steps {
		top = max(top, s.Count)
	}
	for i := range steps {
		if top > 0 {
			steps[i].Width = round1(float64(steps[i].Count) / float64(top) * 100)
		}
	}
	return steps
}

func newOutcomes(st *Stats) []outcomeShare {
	t := st.Totals
	total := t.CoManaged + t.FullyManaged + t.Either
	share := func(n int64) float64 {
		if total == 0 {
			return 0
		}
		return float64(n) / float64(total)
	}
	return []outcomeShare{
		{"Co-managed IT", t.CoManaged, share(t.CoManaged)},
		{"Fully managed IT", t.FullyManaged, share(t.FullyManaged)},
		{"Either model", t.Either, share(t.Either)},
	}
}

// change says how cur compares with prev, as the dashboard prints it.
func change(cur, prev int64) string {
	switch {
	case prev == 0 && cur == 0:
		return "no change"
	case prev == 0:
		return "new"
	}
	d := (float64(cur) - float64(prev)) / float64(prev) * 100
	if d >= 0 {
		return fmt.Sprintf("+%.0f%%", d)
	}
	return fmt.Sprintf("%.0f%%", d)
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
