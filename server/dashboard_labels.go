package server

import (
	"github.com/ehforge/forgefit/widget/content"
)

// label is how the dashboard names something the stats count by id: the
// words the content gives it, or the bare id, marked retired, when the
// content no longer defines it (a question removed since, say).
type label struct {
	Text    string
	Retired bool
	Other   bool // the row that sums what a capped list leaves out
}

// dashboardLabels names questions, options, FAQ entries, responsibilities,
// outcomes and calls to action in the content's default locale (the
// dashboard speaks English). Ids are the same in every locale. With every
// widget shown, the first widget that defines an id names it.
type dashboardLabels struct {
	widgets []*content.Widget
}

// newDashboardLabels reads the content of widget, or of every widget when
// widget is "".
func newDashboardLabels(lib *content.Library, widget string) dashboardLabels {
	ids := lib.IDs()
	if widget != "" {
		ids = []string{widget}
	}
	var l dashboardLabels
	for _, id := range ids {
		if w, err := lib.Widget(id, content.DefaultLocale); err == nil {
			l.widgets = append(l.widgets, w)
		}
	}
	return l
}

func named(text string) label { return label{Text: text} }
func retired(id string) label { return label{Text: id, Retired: true} }

// otherLabel names the row that sums the n values a capped list leaves
// out: "Other: 57 more pages".
func otherLabel(n int64, one, many string) label {
	thing := many
	if n == 1 {
		thing = one
	}
	return label{Text: "Other: " + groupThousands(n) + " more " + thing, Other: true}
}

// questionOf finds the question with id and its position (from 0) in its
// widget's quiz.
func (l dashboardLabels) questionOf(id string) (content.Question, int, bool) {
	for _, w := range l.widgets {
		for i, q := range w.Fit.Questions {
			if q.ID == id {
				return q, i, true
			}
		}
	}
	return content.Question{}, 0, false
}

func (l dashboardLabels) question(id string) label {
	if q, _, ok := l.questionOf(id); ok {
		return named(q.Prompt)
	}
	return retired(id)
}

func (l dashboardLabels) option(question, id string) label {
	if q, _, ok := l.questionOf(question); ok {
		if o, ok := q.Option(id); ok {
			return named(o.Label)
		}
	}
	return retired(id)
}

func (l dashboardLabels) faq(id string) label {
	for _, w := range l.widgets {
		for _, e := range w.FAQ.Entries {
			if e.ID == id {
				return named(e.Question)
			}
		}
	}
	return retired(id)
}

func (l dashboardLabels) responsibility(id string) label {
	for _, w := range l.widgets {
		if r, ok := w.Responsibility(id); ok {
			return named(r.Label)
		}
	}
	return retired(id)
}

// outcome names a recommendation: the model's name, or the content's label
// for "either".
func (l dashboardLabels) outcome(id string) label {
	if id == "" {
		return named("No recommendation on screen")
	}
	for _, w := range l.widgets {
		if m, ok := w.Model(id); ok {
			return named(m.Name)
		}
		if r, ok := w.Result(id); ok {
			return named(r.Label)
		}
	}
	return retired(id)
}

func (l dashboardLabels) cta(id string) label {
	for _, w := range l.widgets {
		if w.CTA.ID == id {
			return named(w.CTA.Label)
		}
	}
	return retired(id)
}

// ctaWords are call to action id's words with outcome on screen, "" when
// the content no longer has it.
func (l dashboardLabels) ctaWords(id, outcome string) string {
	for _, w := range l.widgets {
		if w.CTA.ID == id {
			words, _ := w.CTA.For(outcome)
			return words
		}
	}
	return ""
}

// The ids the content defines, in the order a visitor meets them; each
// list holds an id once, even when several widgets define it.

func (l dashboardLabels) questionIDs() []string {
	return l.ids(func(w *content.Widget, add func(string)) {
		for _, q := range w.Fit.Questions {
			add(q.ID)
		}
	})
}

func (l dashboardLabels) optionIDs(question string) []string {
	q, _, ok := l.questionOf(question)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(q.Options))
	for _, o := range q.Options {
		out = append(out, o.ID)
	}
	return out
}

func (l dashboardLabels) outcomeIDs() []string {
	return l.ids(func(w *content.Widget, add func(string)) {
		for _, o := range w.Outcomes() {
			add(o)
		}
	})
}

func (l dashboardLabels) faqIDs() []string {
	return l.ids(func(w *content.Widget, add func(string)) {
		for _, e := range w.FAQ.Entries {
			add(e.ID)
		}
	})
}

func (l dashboardLabels) ctaIDs() []string {
	return l.ids(func(w *content.Widget, add func(string)) { add(w.CTA.ID) })
}

func (l dashboardLabels) ids(each func(w *content.Widget, add func(string))) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range l.widgets {
		each(w, func(id string) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		})
	}
	return out
}
