package content

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// sameShape reports where w differs from base in anything that must be the
// same in every locale: ids and their order (events carry ids and question
// positions), weights and exclusions (a visitor's locale must not change the
// recommendation), and which pitfalls and responsibilities are referred to.
// Words and URLs may differ.
func sameShape(base, w *Widget) error {
	want, got := shape(base), shape(w)
	var p problems
	for _, field := range slices.Sorted(maps.Keys(want)) {
		switch g, ok := got[field]; {
		case !ok:
			p.add(field, "is %s in %q but missing here", want[field], base.Locale)
		case g != want[field]:
			p.add(field, "is %s, want %s as in %q", g, want[field], base.Locale)
		}
	}
	for _, field := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[field]; !ok {
			p.add(field, "is %s here but missing in %q", got[field], base.Locale)
		}
	}
	return p.err()
}

// shape maps each locale-independent field of w to its value.
func shape(w *Widget) map[string]string {
	s := map[string]string{}
	set := func(field string, v any) { s[field] = fmt.Sprintf("%q", v) }
	for i, m := range w.Comparison.Models {
		set(fmt.Sprintf("comparison.models[%d].id", i), m.ID)
	}
	for i, t := range w.Comparison.Topics {
		set(fmt.Sprintf("comparison.topics[%d].id", i), t.ID)
	}
	for i, f := range w.Fits {
		set(fmt.Sprintf("fits[%d].model", i), f.Model)
	}
	for i, it := range w.Pitfalls.Items {
		set(fmt.Sprintf("pitfalls.items[%d].id", i), it.ID)
	}
	for i, e := range w.FAQ.Entries {
		set(fmt.Sprintf("faq.entries[%d].id", i), e.ID)
	}
	for i, q := range w.Fit.Questions {
		field := fmt.Sprintf("fit.questions[%d]", i)
		set(field+".id", q.ID)
		for j, o := range q.Options {
			field := fmt.Sprintf("%s.options[%d]", field, j)
			set(field+".id", o.ID)
			for m, v := range o.Weights {
				s[field+".weights."+m] = fmt.Sprint(v)
			}
			if len(o.Excludes) > 0 {
				set(field+".excludes", strings.Join(o.Excludes, ","))
			}
		}
	}
	for i, r := range w.Results {
		set(fmt.Sprintf("results[%d].outcome", i), r.Outcome)
		set(fmt.Sprintf("results[%d].pitfalls", i), strings.Join(r.Pitfalls, ","))
	}
	for i, r := range w.Worksheet.Responsibilities {
		set(fmt.Sprintf("worksheet.responsibilities[%d].id", i), r.ID)
	}
	set("worksheet.critical", strings.Join(w.Worksheet.Critical, ","))
	set("cta.id", w.CTA.ID)
	for i, o := range w.CTA.Outcomes {
		set(fmt.Sprintf("cta.outcomes[%d].outcome", i), o.Outcome)
	}
	return s
}
