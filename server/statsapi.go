package server

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ehforge/forgefit/stats"
	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/content"
)

// statsQuery is a validated stats request.
type statsQuery struct {
	partner, widget string
	from, to        time.Time // UTC days, both included
}

// days is the number of days the range covers.
func (q statsQuery) days() int { return int(q.to.Sub(q.from).Hours()/24) + 1 }

// previous is the range of the same length just before q.
func (q statsQuery) previous() statsQuery {
	p := q
	p.to = q.from.AddDate(0, 0, -1)
	p.from = p.to.AddDate(0, 0, -(q.days() - 1))
	return p
}

// parseStatsQuery reads partner, widget, from and to (UTC days), checks
// them and checks v may see them. Without a range it is the last 30 days;
// a partner viewer without a partner gets its own.
func (s *Server) parseStatsQuery(r *http.Request, v viewer) (statsQuery, error) {
	q := r.URL.Query()
	sq := statsQuery{partner: q.Get("partner"), widget: q.Get("widget")}
	if sq.partner == "" && !v.admin {
		sq.partner = v.partner
	}
	if sq.partner != "" {
		if _, ok := s.partners.Load().Partner(sq.partner); !ok && v.admin {
			return sq, Errorf(ENotFound, "no partner %q", sq.partner)
		}
	}
	if !v.canSee(sq.partner) {
		return sq, Errorf(EForbidden, "this token may not read partner %q's figures", sq.partner)
	}
	if sq.widget != "" && !content.ValidID(sq.widget) {
		return sq, Errorf(EInvalid, "widget: %q is not a widget id", sq.widget)
	}
	today := store.Day(s.now())
	var err error
	if sq.to, err = parseDay(q.Get("to"), today); err != nil {
		return sq, Errorf(EInvalid, "to: %v", err)
	}
	if sq.from, err = parseDay(q.Get("from"), sq.to.AddDate(0, 0, -29)); err != nil {
		return sq, Errorf(EInvalid, "from: %v", err)
	}
	if sq.from.After(sq.to) {
		return sq, Errorf(EInvalid, "from (%s) is after to (%s)", sq.from.Format(time.DateOnly), sq.to.Format(time.DateOnly))
	}
	if sq.days() > stats.MaxDays {
		return sq, Errorf(EInvalid, "the range covers %d days, at most %d", sq.days(), stats.MaxDays)
	}
	return sq, nil
}

func parseDay(v string, fallback time.Time) (time.Time, error) {
	if v == "" {
		return fallback, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, Errorf(EInvalid, "%q is not a day in the form YYYY-MM-DD", v)
	}
	return d, nil
}

// stats reads q's rollups and computes its figures.
func (s *Server) stats(r *http.Request, q statsQuery) (*stats.Stats, error) {
	return s.figures.Stats(r.Context(), stats.Query{Partner: q.partner, Widget: q.widget, From: q.from, To: q.to})
}

// WarmStats reads the closed months and days of the last year for all
// partners into the stats cache: see stats.Reader.Warm.
func (s *Server) WarmStats(ctx context.Context) { s.figures.Warm(ctx, s.log) }

// authorizedQuery identifies the viewer and reads the stats query it may
// ask, or answers 401, 429, 403 or 400 and returns false.
func (s *Server) authorizedQuery(w http.ResponseWriter, r *http.Request) (statsQuery, bool) {
	v, err := s.identify(r)
	if err != nil {
		s.writeAuthError(w, r, err)
		return statsQuery{}, false
	}
	q, err := s.parseStatsQuery(r, v)
	if err != nil {
		s.writeError(w, r, err)
		return statsQuery{}, false
	}
	return q, true
}

// handleStats handles "GET /api/v1/stats".
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	q, ok := s.authorizedQuery(w, r)
	if !ok {
		return
	}
	st, err := s.stats(r, q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-store")
	_ = json.NewEncoder(w).Encode(st)
}

// csvHeader is the stats CSV's header: one row per day x partner x widget.
// Consumers read the columns by position: new ones go at the end.
var csvHeader = []string{
	"day", "partner", "widget", "widget_loads", "views", "visitors", "quiz_starts", "answers",
	"completions", "quiz_restarts", "recommendations", "cta_clicks", "faq_opens", "worksheet_completions",
	"outcome_co_managed", "outcome_fully_managed", "outcome_either",
	"excluded_test_events", "excluded_bot_events",
}

// maxCSVWidgets caps the rows of one day and partner in the CSV, one a
// widget: a store may hold widget ids made up and stored by a server that
// did not check them. Past the cap, the last row (widget csvOther) sums
// the widgets left out.
const (
	maxCSVWidgets = 20
	csvOther      = "(other)"
)

// handleStatsCSV handles "GET /api/v1/stats.csv": the figures of every day
// x partner x widget with events stored, streamed row by row. A day with
// only events left out (test or bot) has a row of zeros but for its last
// two columns.
func (s *Server) handleStatsCSV(w http.ResponseWriter, r *http.Request) {
	q, ok := s.authorizedQuery(w, r)
	if !ok {
		return
	}
	rollups, err := s.cfg.Store.Rollups(r.Context(), store.RollupQuery{Partner: q.partner, Widget: q.widget, From: q.from, To: q.to})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name := "forgefit-stats-" + q.from.Format(time.DateOnly) + "-" + q.to.Format(time.DateOnly) + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	rows := 0
	write := func(day time.Time, partner, widget string, f *stats.Figures) {
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		_ = cw.Write([]string{
			day.Format(time.DateOnly), partner, widget, n(f.Loads), n(f.Views), n(f.Visitors),
			n(f.QuizStarts), n(f.Answers), n(f.Completions), n(f.Restarts), n(f.Recommendations),
			n(f.CTAClicks), n(f.FAQOpens), n(f.WorksheetCompletions),
			n(f.CoManaged), n(f.FullyManaged), n(f.Either),
			n(f.TestEvents), n(f.BotEvents),
		})
		if rows++; rows%256 == 0 {
			cw.Flush()
		}
	}
	// Rollups come sorted by day, partner and widget: one group of
	// widgets per day and partner.
	for len(rollups) > 0 {
		n := 1
		for n < len(rollups) && rollups[n].Day.Equal(rollups[0].Day) && rollups[n].Partner == rollups[0].Partner {
			n++
		}
		group := rollups[:n]
		rollups = rollups[n:]
		widgets := make([]csvWidget, len(group))
		for i := range group {
			var d stats.DayStats
			d.Add(&group[i])
			widgets[i] = csvWidget{group[i].Widget, d.Figures}
		}
		if len(widgets) > maxCSVWidgets {
			widgets = s.capCSVWidgets(widgets)
		}
		for i := range widgets {
			write(group[0].Day, group[0].Partner, widgets[i].id, &widgets[i].figures)
		}
	}
	cw.Flush()
}

// csvWidget is one widget's row of a day and partner in the CSV.
type csvWidget struct {
	id      string
	figures stats.Figures
}

// capCSVWidgets returns maxCSVWidgets rows for one day and partner's
// widgets: the content's widgets first, then those with the most events,
// then a csvOther row that sums the rest.
func (s *Server) capCSVWidgets(widgets []csvWidget) []csvWidget {
	events := func(f *stats.Figures) int64 {
		return f.Loads + f.Views + f.QuizStarts + f.Answers + f.Completions + f.Restarts + f.Recommendations +
			f.CTAClicks + f.FAQOpens + f.WorksheetCompletions + f.TestEvents + f.BotEvents
	}
	known := func(id string) bool {
		_, err := s.cfg.Content.Widget(id, content.DefaultLocale)
		return err == nil
	}
	slices.SortStableFunc(widgets, func(a, b csvWidget) int {
		ka, kb := known(a.id), known(b.id)
		if ka != kb {
			if ka {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(events(&b.figures), events(&a.figures)), strings.Compare(a.id, b.id))
	})
	other := csvWidget{id: csvOther}
	for i := maxCSVWidgets - 1; i < len(widgets); i++ {
		other.figures.Sum(&widgets[i].figures)
	}
	kept := widgets[:maxCSVWidgets-1]
	slices.SortFunc(kept, func(a, b csvWidget) int { return strings.Compare(a.id, b.id) })
	return append(kept, other)
}
