package server

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/ehforge/forgefit/store"
)

//go:embed installations.html
var installationsFiles embed.FS

var installationsTemplate = template.Must(template.New("installations.html").Funcs(template.FuncMap{
	"num":    groupThousands,
	"plural": plural,
	"ms":     millis,
	"pct":    percent,
	"when":   func(t time.Time) string { return t.UTC().Format(dashboardTime) },
}).ParseFS(installationsFiles, "installations.html"))

// installationsPage is what installations.html shows.
type installationsPage struct {
	Admin     bool
	Viewer    string
	CSRF      string
	Error     string
	Partner   string
	Title     string // whose installations
	From, To  string
	Range     string
	Partners  []choice
	Report    *InstallationsReport
	Rows      []installationRow
	Refused   []RefusedOrigin
	Generated string
}

// installationRow is an installation with the words the page shows.
type installationRow struct {
	Installation
	PartnerName string
	Page        string // origin and path, or "other pages" past the cap
	Times       []startTimeRow
	Errors      string
}

type startTimeRow struct {
	Label string
	StartTime
}

// startTimeLabels name the start times, in the order a start goes.
var startTimeLabels = []struct{ metric, label string }{
	{store.InstallPainted, "Table painted"},
	{store.InstallInteractive, "Interactive"},
	{store.InstallTakeover, "Client took over"},
}

// handleInstallationsPage handles "GET /dashboard/installations": where
// the signed-in viewer's widgets run, whether they start and how fast,
// and the pages refused with what to do about each. Server-side HTML, no
// scripts, as the dashboard.
func (s *Server) handleInstallationsPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.identify(r)
	if errors.Is(err, errSessionCheck) {
		s.writeError(w, r, err) // 503: the store failed, not the session
		return
	}
	cookie, cerr := r.Cookie(sessionCookie)
	if err != nil || bearerToken(r) != "" || cerr != nil {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther) // the sign-in page
		return
	}
	page := &installationsPage{Admin: v.admin, Viewer: s.partnerName(v.partner), CSRF: s.sessions.csrf(cookie.Value)}
	if v.admin {
		for _, id := range s.partners.Load().IDs() {
			page.Partners = append(page.Partners, choice{id, s.partnerName(id)})
		}
	}
	q, err := s.parseInstallationsQuery(r, v)
	if err != nil {
		status := http.StatusBadRequest
		if e, ok := err.(*Error); ok {
			status = statusOf[e.Code]
		}
		page.Error = err.Error()
		s.renderInstallations(w, r, status, page)
		return
	}
	rep, err := s.installations(r, v, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page.Partner, page.From, page.To = q.partner, rep.From, rep.To
	page.Range = dayRange(q.from, q.to)
	page.Title = "all partners"
	if q.partner != "" {
		page.Title = s.partnerName(q.partner)
	}
	page.Report, page.Refused = rep, rep.Refused
	for _, in := range rep.Installations {
		row := installationRow{Installation: in, PartnerName: s.partnerName(in.Partner), Page: in.Origin + in.Path, Errors: errorList(in.Errors)}
		if in.Other > 0 {
			row.Page, row.PartnerName = fmt.Sprintf("%d more host %s", in.Other, plural(in.Other, "page")), "(several)"
		} else if in.Path == store.InstallOther {
			row.Page = in.Origin + ": other pages (past the daily count of pages kept one by one)"
		}
		for _, l := range startTimeLabels {
			if st, ok := in.StartTimes[l.metric]; ok {
				row.Times = append(row.Times, startTimeRow{l.label, st})
			}
		}
		page.Rows = append(page.Rows, row)
	}
	page.Generated = s.now().UTC().Format(dashboardTime)
	s.renderInstallations(w, r, http.StatusOK, page)
}

func (s *Server) renderInstallations(w http.ResponseWriter, r *http.Request, status int, page *installationsPage) {
	s.renderPage(w, r, status, installationsTemplate, page, dashboardCSP)
}

// millis prints a start time's bucket bound: "≤ 500 ms", "≤ 1.5 s".
func millis(ms int) string {
	if ms < 1000 {
		return "≤ " + strconv.Itoa(ms) + " ms"
	}
	return "≤ " + strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64) + " s"
}

// percent prints a rate, "–" when there is none.
func percent(rate *float64) string {
	if rate == nil {
		return "–"
	}
	return strconv.FormatFloat(*rate*100, 'f', 0, 64) + "%"
}
