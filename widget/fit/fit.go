// Package fit turns a visitor's answers to a widget's fit questions into an
// explained recommendation, and reads the ownership worksheet. It is pure and
// deterministic (the same content and answers always give the same result),
// imports the standard library and widget/content only, and builds for
// js/wasm.
package fit

import (
	"slices"

	"github.com/ehforge/forgefit/widget/content"
)

// EitherBelow is the margin under which the outcome is content.Either: the
// page says neither model is automatically better, so a close call is
// reported as "either model can work if ownership is written down" rather
// than as a coin toss. With the default questions, a lead of 2 points or
// less of the 20 the answers can give.
const EitherBelow = 0.15

// Answers maps a question id to the id of the option chosen. Questions not
// yet answered are absent.
type Answers map[string]string

// Recommendation is the outcome of the fit questions and why.
type Recommendation struct {
	// Outcome is a model id, or content.Either when the answers do not
	// point clearly to one model.
	Outcome string `json:"outcome"`
	// Leaning is the model the answers favour, even when Outcome is
	// Either; empty when the two leading models score exactly the same.
	Leaning string `json:"leaning,omitempty"`
	// Margin, from 0 to 1, is how decisive the call was: the lead of the
	// first model over the second as a share of the largest lead the
	// answered questions allow.
	Margin float64 `json:"margin"`
	// Provisional is set while some questions are unanswered: the outcome
	// is then a lean, not a recommendation.
	Provisional bool `json:"provisional"`
	Answered    int  `json:"answered"`
	Total       int  `json:"total"`
	// Scores sums the weights of the chosen options per model id.
	Scores map[string]int `json:"scores"`
	// Drivers are the answers that drove the outcome most, strongest
	// first (equal strengths in question order); show the first few. For
	// Either they are the answers that pulled toward either model, each
	// saying which.
	Drivers []Driver `json:"drivers"`
	// Flip is the smallest change of one answer already given that would
	// give another outcome, or nil if no such change would. Unanswered
	// questions are not considered: the flip explains the visitor's own
	// answers.
	Flip *Flip `json:"flip,omitempty"`
}

// Driver is one answer that pushed the recommendation toward a model.
type Driver struct {
	_ noCompare // see noCompare

	Question string `json:"question"`
	Option   string `json:"option"`
	Toward   string `json:"toward"` // a model id
	// Strength is how many points this answer put between the two
	// leading models.
	Strength int `json:"strength"`
	// Reason is the option's reason text; it may be empty, in which case
	// show the option's label.
	Reason string `json:"reason,omitempty"`
}

// Flip is a single answer change and the outcome it would give.
type Flip struct {
	_ noCompare // see noCompare

	Question string `json:"question"`
	Option   string `json:"option"`
	Outcome  string `json:"outcome"`
}

// answer is one valid answer: the question's position and the option chosen.
type answer struct {
	index  int
	q      content.Question
	option content.Option
}

// Score recommends a model for answers to w's fit questions. Answers may be
// partial; an answer naming an unknown question or option is ignored, so a
// stale answer from an older content version cannot break the widget.
func Score(w *content.Widget, answers Answers) Recommendation {
	models := make([]string, len(w.Comparison.Models))
	for i, m := range w.Comparison.Models {
		models[i] = m.ID
	}
	var chosen []answer
	for i, q := range w.Fit.Questions {
		if o, ok := q.Option(answers[q.ID]); ok {
			chosen = append(chosen, answer{index: i, q: q, option: o})
		}
	}

	t := tally(models, chosen)
	return Recommendation{
		Outcome:     t.outcome,
		Leaning:     t.leaning,
		Margin:      t.margin,
		Provisional: len(chosen) < len(w.Fit.Questions),
		Answered:    len(chosen),
		Total:       len(w.Fit.Questions),
		Scores:      t.scores,
		Drivers:     drivers(t, chosen),
		Flip:        flip(models, chosen, t.outcome),
	}
}

// result is the arithmetic behind a Recommendation.
type result struct {
	scores        map[string]int
	first, second string // the two leading models, ties in table order
	leaning       string
	outcome       string
	margin        float64
	ruled         bool // an answer ruled the second model out
}

func tally(models []string, chosen []answer) result {
	r := result{scores: make(map[string]int, len(models))}
	for _, m := range models {
		r.scores[m] = 0
	}
	excluded := map[string]bool{}
	for _, a := range chosen {
		for _, m := range models {
			r.scores[m] += a.option.Weights[m]
		}
		for _, m := range a.option.Excludes {
			excluded[m] = true
		}
	}
	// Models an answer rules out rank below every other, whatever their
	// score.
	ranked := slices.Clone(models)
	stableSort(ranked, func(a, b string) bool {
		if excluded[a] != excluded[b] {
			return !excluded[a]
		}
		return r.scores[a] > r.scores[b]
	})
	if len(ranked) < 2 {
		// Content validation requires two models; stay sane without.
		r.outcome = content.Either
		return r
	}
	r.first, r.second = ranked[0], ranked[1]
	if !excluded[r.first] && excluded[r.second] {
		// The answers leave one model: a recommendation, not a close call.
		r.leaning, r.outcome, r.margin, r.ruled = r.first, r.first, 1, true
		return r
	}
	lead := r.scores[r.first] - r.scores[r.second]
	if lead == 0 {
		r.outcome = content.Either
		return r
	}
	r.leaning = r.first
	// The largest lead these questions allow between the two leaders:
	// each answered question could at most have given its most lopsided
	// option.
	most := 0
	for _, a := range chosen {
		best := 0
		for _, o := range a.q.Options {
			best = max(best, abs(o.Weights[r.first]-o.Weights[r.second]))
		}
		most += best
	}
	r.margin = float64(lead) / float64(most)
	r.outcome = r.first
	if r.margin < EitherBelow {
		r.outcome = content.Either
	}
	return r
}

// drivers lists the answers that pushed toward the outcome, strongest first;
// for Either, the answers that pushed either way.
func drivers(t result, chosen []answer) []Driver {
	if t.first == "" {
		return nil
	}
	var ds []Driver
	for _, a := range chosen {
		d := Driver{Question: a.q.ID, Option: a.option.ID, Reason: a.option.Reason}
		lead := a.option.Weights[t.first] - a.option.Weights[t.second]
		if t.ruled && slices.Contains(a.option.Excludes, t.second) {
			// The answer that ruled the other model out drives most.
			lead = content.MaxWeight + 1
		}
		switch {
		case lead > 0:
			d.Toward, d.Strength = t.first, lead
		case lead < 0 && t.outcome == content.Either:
			d.Toward, d.Strength = t.second, -lead
		default:
			continue
		}
		ds = append(ds, d)
	}
	// Stable, so equal strengths keep question order.
	stableSort(ds, func(a, b Driver) bool { return a.Strength > b.Strength })
	return ds
}

// flip finds the single change of an answer that gives an outcome other than
// outcome. Of all such changes it picks the smallest (the least total change
// in weights), then the earliest question and option, so the explanation
// names the nearest tipping point and is the same every time.
func flip(models []string, chosen []answer, outcome string) *Flip {
	var best *Flip
	bestCost := 0
	for i, a := range chosen {
		for _, o := range a.q.Options {
			if o.ID == a.option.ID {
				continue
			}
			cost := 0
			for _, m := range models {
				cost += abs(o.Weights[m] - a.option.Weights[m])
			}
			if best != nil && cost >= bestCost {
				continue
			}
			changed := slices.Clone(chosen)
			changed[i].option = o
			if t := tally(models, changed); t.outcome != outcome {
				best, bestCost = &Flip{Question: a.q.ID, Option: o.ID, Outcome: t.outcome}, cost
			}
		}
	}
	return best
}

// stableSort sorts s by less, keeping equal elements in order. It is an
// insertion sort: the lists are a handful of models or answers, and
// slices.SortStableFunc would add some 17 KB to app.wasm per element type.
func stableSort[T any](s []T, less func(a, b T) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// noCompare makes a struct type incomparable, so the linker gives it no
// equality function: it would be kept in app.wasm with the type, for an ==
// that nothing uses. First in the struct, it adds no padding.
type noCompare [0]func()
