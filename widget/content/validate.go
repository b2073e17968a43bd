package content

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// ValidID reports whether s is a well-formed id of a widget or of anything in
// one: ids travel in URLs and events, so they are short, lowercase and safe
// anywhere (^[a-z0-9][a-z0-9-]{0,63}$). The checks here are loops rather
// than regular expressions, which the wasm would compile at every start.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(lower(c) || digit(c) || c == '-') {
			return false
		}
	}
	return true
}

// ValidLocale reports whether s is a well-formed locale tag of the simple,
// lowercase kind we serve: "en", "de", "pt-br" (^[a-z]{2,3}(-[a-z0-9]{2,8})?$).
func ValidLocale(s string) bool {
	lang, region, hasRegion := strings.Cut(s, "-")
	if len(lang) < 2 || len(lang) > 3 || (hasRegion && (len(region) < 2 || len(region) > 8)) {
		return false
	}
	for i := 0; i < len(lang); i++ {
		if !lower(lang[i]) {
			return false
		}
	}
	for i := 0; i < len(region); i++ {
		if !lower(region[i]) && !digit(region[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) bool { return 'a' <= c && c <= 'z' }
func digit(c byte) bool { return '0' <= c && c <= '9' }

// Validate checks one widget's content and returns every problem found, each
// naming the field, so a content author can fix a file in one pass.
func (w *Widget) Validate() error {
	var p problems
	if !ValidID(w.ID) {
		p.add("id", "%q is not a valid id (lowercase letters, digits and dashes)", w.ID)
	}
	if !ValidLocale(w.Locale) {
		p.add("locale", "%q is not a valid locale", w.Locale)
	}
	p.required("title", w.Title)
	p.paragraphs("direct_answer", w.DirectAnswer)
	models := p.comparison(w.Comparison)
	p.fits(w.Fits, w.Comparison.Models)
	pitfalls := p.pitfalls(w.Pitfalls)
	p.required("next_steps.heading", w.NextSteps.Heading)
	p.paragraphs("next_steps.paragraphs", w.NextSteps.Paragraphs)
	p.faq(w.FAQ)
	p.questions(w.Fit, w.Comparison.Models)
	p.results(w.Results, w.Outcomes(), models, pitfalls)
	p.worksheet(w.Worksheet)
	p.cta(w.CTA, w.Outcomes())
	p.ui(w.UI)
	return p.err()
}

// comparison checks the table and returns its model ids.
func (p *problems) comparison(c Comparison) map[string]bool {
	p.required("comparison.caption", c.Caption)
	p.required("comparison.topic_heading", c.TopicHeading)
	if len(c.Models) < 2 {
		p.add("comparison.models", "needs at least two models, has %d", len(c.Models))
	}
	models := ids{}
	for i, m := range c.Models {
		field := fmt.Sprintf("comparison.models[%d]", i)
		p.id(field+".id", m.ID, models)
		if m.ID == Either {
			p.add(field+".id", "%q is the outcome when no model fits better, so no model may have that id", Either)
		}
		p.required(field+".name", m.Name)
	}
	if len(c.Topics) == 0 {
		p.add("comparison.topics", "needs at least one topic")
	}
	topics := ids{}
	for i, t := range c.Topics {
		field := fmt.Sprintf("comparison.topics[%d]", i)
		p.id(field+".id", t.ID, topics)
		p.required(field+".label", t.Label)
		for _, m := range c.Models {
			if strings.TrimSpace(t.Cells[m.ID]) == "" {
				p.add(field+".cells."+m.ID, "is missing")
			}
		}
		for _, id := range slices.Sorted(maps.Keys(t.Cells)) {
			if !models[id] {
				p.add(field+".cells."+id, "names no model")
			}
		}
	}
	return models
}

func (p *problems) fits(fits []ModelFit, models []Model) {
	seen := map[string]bool{}
	for i, f := range fits {
		field := fmt.Sprintf("fits[%d]", i)
		switch {
		case !slices.ContainsFunc(models, func(m Model) bool { return m.ID == f.Model }):
			p.add(field+".model", "%q names no model", f.Model)
		case seen[f.Model]:
			p.add(field+".model", "%q has a section already", f.Model)
		}
		seen[f.Model] = true
		p.required(field+".heading", f.Heading)
		p.paragraphs(field+".paragraphs", f.Paragraphs)
	}
	for _, m := range models {
		if !seen[m.ID] {
			p.add("fits", "has no section for model %q", m.ID)
		}
	}
}

// pitfalls checks the pitfalls section and returns the pitfall ids.
func (p *problems) pitfalls(s Pitfalls) map[string]bool {
	p.required("pitfalls.heading", s.Heading)
	if len(s.Items) == 0 {
		p.add("pitfalls.items", "needs at least one pitfall")
	}
	seen := ids{}
	for i, it := range s.Items {
		field := fmt.Sprintf("pitfalls.items[%d]", i)
		p.id(field+".id", it.ID, seen)
		p.required(field+".title", it.Title)
		p.required(field+".text", it.Text)
	}
	return seen
}

func (p *problems) faq(f FAQ) {
	p.required("faq.heading", f.Heading)
	if len(f.Entries) == 0 {
		p.add("faq.entries", "needs at least one entry")
	}
	seen := ids{}
	for i, e := range f.Entries {
		field := fmt.Sprintf("faq.entries[%d]", i)
		p.id(field+".id", e.ID, seen)
		p.required(field+".question", e.Question)
		p.required(field+".answer", e.Answer)
	}
}

func (p *problems) questions(f FitQuestions, models []Model) {
	p.required("fit.heading", f.Heading)
	if len(f.Questions) == 0 {
		p.add("fit.questions", "needs at least one question")
	}
	questions := ids{}
	for i, q := range f.Questions {
		field := fmt.Sprintf("fit.questions[%d]", i)
		p.id(field+".id", q.ID, questions)
		p.required(field+".prompt", q.Prompt)
		if len(q.Options) < 2 {
			p.add(field+".options", "needs at least two options, has %d", len(q.Options))
		}
		// Option ids need only be unique within their question: events
		// always carry the pair.
		options := ids{}
		for j, o := range q.Options {
			field := fmt.Sprintf("%s.options[%d]", field, j)
			p.id(field+".id", o.ID, options)
			p.required(field+".label", o.Label)
			for _, m := range models {
				w, ok := o.Weights[m.ID]
				switch {
				case !ok:
					p.add(field+".weights."+m.ID, "is missing: every option weighs every model")
				case w < 0 || w > MaxWeight:
					p.add(field+".weights."+m.ID, "is %d, want 0 to %d", w, MaxWeight)
				}
			}
			for _, id := range slices.Sorted(maps.Keys(o.Weights)) {
				if !slices.ContainsFunc(models, func(m Model) bool { return m.ID == id }) {
					p.add(field+".weights."+id, "names no model")
				}
			}
			for k, id := range o.Excludes {
				if !slices.ContainsFunc(models, func(m Model) bool { return m.ID == id }) {
					p.add(fmt.Sprintf("%s.excludes[%d]", field, k), "%q names no model", id)
				}
			}
			if len(models) > 0 && len(o.Excludes) >= len(models) {
				p.add(field+".excludes", "rules out every model")
			}
		}
	}
}

func (p *problems) results(results []Result, outcomes []string, models, pitfalls map[string]bool) {
	seen := map[string]bool{}
	for i, r := range results {
		field := fmt.Sprintf("results[%d]", i)
		switch {
		case !slices.Contains(outcomes, r.Outcome):
			p.add(field+".outcome", "%q is neither a model id nor %q", r.Outcome, Either)
		case seen[r.Outcome]:
			p.add(field+".outcome", "%q has a result already", r.Outcome)
		}
		seen[r.Outcome] = true
		p.required(field+".label", r.Label)
		p.required(field+".heading", r.Heading)
		p.required(field+".body", r.Body)
		p.refs(field+".pitfalls", r.Pitfalls, pitfalls, "pitfall")
	}
	for _, o := range outcomes {
		if !seen[o] {
			p.add("results", "has no result for outcome %q", o)
		}
	}
}

func (p *problems) worksheet(w Worksheet) {
	p.required("worksheet.heading", w.Heading)
	p.required("worksheet.responsibility_heading", w.ResponsibilityHeading)
	p.required("worksheet.owner_heading", w.OwnerHeading)
	for _, o := range Owners {
		p.required("worksheet.owners."+string(o), w.Owners.Label(o))
	}
	if len(w.Responsibilities) == 0 {
		p.add("worksheet.responsibilities", "needs at least one responsibility")
	}
	seen := ids{}
	for i, r := range w.Responsibilities {
		field := fmt.Sprintf("worksheet.responsibilities[%d]", i)
		p.id(field+".id", r.ID, seen)
		p.required(field+".label", r.Label)
	}
	p.refs("worksheet.critical", w.Critical, seen, "responsibility")
	p.required("worksheet.start", w.Start)
	p.required("worksheet.warning", w.Warning)
	p.required("worksheet.shared_note", w.SharedNote)
	p.required("worksheet.clear", w.Clear)
	p.required("worksheet.progress", w.Progress)
	p.placeholders("worksheet.progress", w.Progress, "decided", "total")
}

func (p *problems) cta(c CTA, outcomes []string) {
	if !ValidID(c.ID) {
		p.add("cta.id", "%q is not a valid id", c.ID)
	}
	p.required("cta.label", c.Label)
	if err := CheckURL(c.URL); err != nil {
		p.add("cta.url", "%v", err)
	}
	seen := map[string]bool{}
	for i, o := range c.Outcomes {
		field := fmt.Sprintf("cta.outcomes[%d]", i)
		switch {
		case !slices.Contains(outcomes, o.Outcome):
			p.add(field+".outcome", "%q is not an outcome (%s)", o.Outcome, strings.Join(outcomes, ", "))
		case seen[o.Outcome]:
			p.add(field+".outcome", "%q is given twice", o.Outcome)
		}
		seen[o.Outcome] = true
		if o.URL != "" {
			if err := CheckURL(o.URL); err != nil {
				p.add(field+".url", "%v", err)
			}
		}
	}
}

// CheckURL reports why s is not an absolute http or https URL, or nil. CTA
// URLs end up in href attributes on partners' pages, so nothing else (no
// javascript:, no relative path) is accepted.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("is required")
	case err != nil:
		return fmt.Errorf("%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q is not an absolute http or https URL", s)
	case u.Host == "" || u.User != nil:
		return fmt.Errorf("%q needs a host and no user info", s)
	}
	return nil
}

func (p *problems) ui(u UI) {
	for _, f := range []struct{ field, value string }{
		{"direct_answer_heading", u.DirectAnswerHeading},
		{"comparison_heading", u.ComparisonHeading},
		{"recommended", u.Recommended},
		{"back", u.Back},
		{"next", u.Next},
		{"show_result", u.ShowResult},
		{"restart", u.Restart},
		{"progress", u.Progress},
		{"provisional", u.Provisional},
		{"why", u.Why},
		{"flip_heading", u.FlipHeading},
		{"flip", u.Flip},
		{"no_flip", u.NoFlip},
		{"pitfalls", u.Pitfalls},
		{"check_worksheet", u.CheckWorksheet},
		{"copy", u.Copy},
		{"copied", u.Copied},
		{"new_tab", u.NewTab},
	} {
		p.required("ui."+f.field, f.value)
	}
	// The widget writes this one into an aria-label, and go-app's prerender
	// quotes attribute values without HTML escaping (see widget/html.go).
	if strings.ContainsAny(u.ComparisonHeading, `"\`) {
		p.add("ui.comparison_heading", "is written into an attribute, so it may hold no \" or \\")
	}
	p.placeholders("ui.progress", u.Progress, "n", "total")
	p.placeholders("ui.provisional", u.Provisional, "answered", "total")
	p.placeholders("ui.flip", u.Flip, "question", "option", "outcome")
}

// problems collects validation failures as "field: message" lines.
type problems []string

// ids is the set of ids seen so far in one namespace.
type ids = map[string]bool

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p *problems) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		p.add(field, "is required")
	}
}

// id checks that id is well formed and not yet in seen, and records it.
func (p *problems) id(field, id string, seen ids) {
	switch {
	case !ValidID(id):
		p.add(field, "%q is not a valid id (lowercase letters, digits and dashes)", id)
	case seen[id]:
		p.add(field, "%q is used twice", id)
	}
	seen[id] = true
}

// refs checks that every id in refs is in known, once.
func (p *problems) refs(field string, refs []string, known ids, kind string) {
	seen := map[string]bool{}
	for i, id := range refs {
		switch {
		case !known[id]:
			p.add(fmt.Sprintf("%s[%d]", field, i), "%q names no %s", id, kind)
		case seen[id]:
			p.add(fmt.Sprintf("%s[%d]", field, i), "%q is listed twice", id)
		}
		seen[id] = true
	}
}

func (p *problems) paragraphs(field string, ps []string) {
	if len(ps) == 0 {
		p.add(field, "needs at least one paragraph")
	}
	for i, s := range ps {
		p.required(fmt.Sprintf("%s[%d]", field, i), s)
	}
}

// placeholders checks that a UI template names each of its placeholders, so
// a translation cannot silently drop the number a visitor needs.
func (p *problems) placeholders(field, template string, names ...string) {
	if strings.TrimSpace(template) == "" {
		return // reported as required
	}
	for _, n := range names {
		if !strings.Contains(template, "{"+n+"}") {
			p.add(field, "must contain {%s}", n)
		}
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(p, "; "))
}
