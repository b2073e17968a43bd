package content

import "strings"

// Outcomes lists the possible outcomes of the fit questions: every model id
// in table order, then Either.
func (w *Widget) Outcomes() []string {
	out := make([]string, 0, len(w.Comparison.Models)+1)
	for _, m := range w.Comparison.Models {
		out = append(out, m.ID)
	}
	return append(out, Either)
}

// Model returns the model with id.
func (w *Widget) Model(id string) (Model, bool) {
	for _, m := range w.Comparison.Models {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

// Question returns the fit question with id.
func (w *Widget) Question(id string) (Question, bool) {
	for _, q := range w.Fit.Questions {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

// Option returns the option of q with id.
func (q Question) Option(id string) (Option, bool) {
	for _, o := range q.Options {
		if o.ID == id {
			return o, true
		}
	}
	return Option{}, false
}

// Result returns the result text for outcome (a model id or Either).
func (w *Widget) Result(outcome string) (Result, bool) {
	for _, r := range w.Results {
		if r.Outcome == outcome {
			return r, true
		}
	}
	return Result{}, false
}

// Pitfall returns the pitfall with id.
func (w *Widget) Pitfall(id string) (Pitfall, bool) {
	for _, p := range w.Pitfalls.Items {
		if p.ID == id {
			return p, true
		}
	}
	return Pitfall{}, false
}

// Responsibility returns the worksheet responsibility with id.
func (w *Widget) Responsibility(id string) (Responsibility, bool) {
	for _, r := range w.Worksheet.Responsibilities {
		if r.ID == id {
			return r, true
		}
	}
	return Responsibility{}, false
}

// Expand fills the placeholders of a UI template: vars are pairs of a name
// and its value, so Expand("Question {n} of {total}", "n", "2", "total", "7")
// is "Question 2 of 7". Placeholders without a value stay as they are.
func Expand(template string, vars ...string) string {
	pairs := make([]string, 0, len(vars))
	for i := 0; i+1 < len(vars); i += 2 {
		pairs = append(pairs, "{"+vars[i]+"}", vars[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(template)
}
