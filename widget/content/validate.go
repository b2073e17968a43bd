package content

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// idPattern is what every id in content looks like: ids travel in URLs and
// events, so they are short, lowercase and safe anywhere.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// localePattern accepts BCP 47 tags of the simple kind we serve: "en", "de",
// "pt-br".
var localePattern = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})?$`)

// ValidID reports whether s is a well-formed widget, model or topic id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidLocale reports whether s is a well-formed locale tag (lowercase).
func ValidLocale(s string) bool { return localePattern.MatchString(s) }

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
	c := w.Comparison
	p.required("comparison.caption", c.Caption)
	p.required("comparison.topic_heading", c.TopicHeading)
	if len(c.Models) < 2 {
		p.add("comparison.models", "needs at least two models, has %d", len(c.Models))
	}
	models := map[string]bool{}
	for i, m := range c.Models {
		field := fmt.Sprintf("comparison.models[%d]", i)
		if !ValidID(m.ID) {
			p.add(field+".id", "%q is not a valid id", m.ID)
		}
		if models[m.ID] {
			p.add(field+".id", "%q is used twice", m.ID)
		}
		models[m.ID] = true
		p.required(field+".name", m.Name)
	}
	if len(c.Topics) == 0 {
		p.add("comparison.topics", "needs at least one topic")
	}
	topics := map[string]bool{}
	for i, t := range c.Topics {
		field := fmt.Sprintf("comparison.topics[%d]", i)
		if !ValidID(t.ID) {
			p.add(field+".id", "%q is not a valid id", t.ID)
		}
		if topics[t.ID] {
			p.add(field+".id", "%q is used twice", t.ID)
		}
		topics[t.ID] = true
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
	return p.err()
}

// problems collects validation failures as "field: message" lines.
type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p *problems) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		p.add(field, "is required")
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(p, "; "))
}
