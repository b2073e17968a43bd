package fit

import (
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/widget/content"
)

func mustWidget(tb testing.TB, locale string) *content.Widget {
	tb.Helper()
	lib, err := content.Default()
	if err != nil {
		tb.Fatal(err)
	}
	w, err := lib.Widget("co-managed-vs-fully-managed", locale)
	if err != nil {
		tb.Fatal(err)
	}
	if w.Locale != locale {
		tb.Fatalf("no %q content", locale)
	}
	return w
}

// summary is the part of a Recommendation a persona test cares about.
type summary struct {
	Outcome, Leaning string
	Provisional      bool
	Drivers          []string // question ids, strongest first
}

func summarize(r Recommendation) summary {
	s := summary{Outcome: r.Outcome, Leaning: r.Leaning, Provisional: r.Provisional}
	for _, d := range r.Drivers {
		s.Drivers = append(s.Drivers, d.Question)
	}
	return s
}

func TestDefaultContentOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		answers Answers
		want    summary
	}{
		{
			name: "capable internal IT that wants control",
			answers: Answers{
				"internal-it": "it-team", "bandwidth": "yes", "control": "keep-control",
				"help-needed": "specialists", "accountability": "split-by-area",
				"growth": "keeping-up", "ownership-today": "documented",
			},
			want: summary{
				Outcome: "co-managed", Leaning: "co-managed",
				// Equal strengths keep question order.
				Drivers: []string{"internal-it", "control", "accountability", "bandwidth", "help-needed", "growth", "ownership-today"},
			},
		},
		{
			name: "no internal IT, wants one operator",
			answers: Answers{
				"internal-it": "nobody", "bandwidth": "no", "control": "hand-over",
				"help-needed": "everything", "accountability": "one-operator",
				"growth": "overloaded", "ownership-today": "unclear",
			},
			want: summary{
				Outcome: "fully-managed", Leaning: "fully-managed",
				Drivers: []string{"internal-it", "bandwidth", "control", "help-needed", "accountability", "growth", "ownership-today"},
			},
		},
		{
			name: "exact tie",
			answers: Answers{
				"internal-it": "it-team", "bandwidth": "no", "control": "keep-control",
				"help-needed": "everything", "accountability": "no-preference",
				"growth": "stretched", "ownership-today": "partly",
			},
			want: summary{
				Outcome: content.Either,
				Drivers: []string{"internal-it", "bandwidth", "control", "help-needed"},
			},
		},
		{
			name: "mixed answers leaning co-managed",
			answers: Answers{
				"internal-it": "it-team", "bandwidth": "partly", "control": "set-policy",
				"help-needed": "specialists", "accountability": "no-preference",
				"growth": "stretched", "ownership-today": "partly",
			},
			want: summary{
				Outcome: "co-managed", Leaning: "co-managed",
				Drivers: []string{"internal-it", "help-needed"},
			},
		},
		{
			name: "mixed answers too close to call",
			answers: Answers{
				"internal-it": "it-team", "bandwidth": "partly", "control": "set-policy",
				"help-needed": "coverage-projects", "accountability": "one-operator",
				"growth": "keeping-up", "ownership-today": "partly",
			},
			want: summary{
				// A lead of 2 of 20 points: a close call.
				Outcome: content.Either, Leaning: "co-managed",
				Drivers: []string{"internal-it", "accountability", "control", "help-needed", "growth"},
			},
		},
		{
			name: "nobody does IT, yet wants control and has documented ownership",
			answers: Answers{
				"internal-it": "nobody", "bandwidth": "yes", "control": "keep-control",
				"help-needed": "specialists", "accountability": "split-by-area",
				"growth": "keeping-up", "ownership-today": "documented",
			},
			want: summary{
				// Co-managed IT needs an internal team to share with: ruled out.
				Outcome: "fully-managed", Leaning: "fully-managed",
				Drivers: []string{"internal-it"},
			},
		},
		{
			name:    "first two answers",
			answers: Answers{"internal-it": "one-person", "bandwidth": "no"},
			want: summary{
				Outcome: "fully-managed", Leaning: "fully-managed", Provisional: true,
				Drivers: []string{"bandwidth", "internal-it"},
			},
		},
	}
	for _, locale := range []string{"en", "de"} {
		w := mustWidget(t, locale)
		for _, tt := range tests {
			t.Run(locale+"/"+tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, summarize(Score(w, tt.answers))); diff != "" {
					t.Errorf("Score (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// everyAnswerSet calls f with every combination of answers to w's questions,
// each question unanswered or answered with any of its options.
func everyAnswerSet(w *content.Widget, f func(Answers)) {
	qs := w.Fit.Questions
	var walk func(i int, a Answers)
	walk = func(i int, a Answers) {
		if i == len(qs) {
			f(maps.Clone(a))
			return
		}
		walk(i+1, a)
		for _, o := range qs[i].Options {
			a[qs[i].ID] = o.ID
			walk(i+1, a)
		}
		delete(a, qs[i].ID)
	}
	walk(0, Answers{})
}

func TestDefaultContentEveryAnswerSet(t *testing.T) {
	w, de := mustWidget(t, "en"), mustWidget(t, "de")
	complete := map[string]int{}
	everyAnswerSet(w, func(a Answers) {
		r := Score(w, a)
		if r.Margin < 0 || r.Margin > 1 {
			t.Fatalf("%v: margin %v outside [0, 1]", a, r.Margin)
		}
		if r.Provisional != (r.Answered < r.Total) || r.Answered != len(a) {
			t.Fatalf("%v: provisional %v with %d of %d answered", a, r.Provisional, r.Answered, r.Total)
		}
		if (r.Outcome == content.Either) != (r.Margin < EitherBelow) {
			t.Fatalf("%v: outcome %q with margin %v", a, r.Outcome, r.Margin)
		}
		// cmp is slow under -race, so the complete sets stand for the
		// rest in these two checks.
		if !r.Provisional {
			if diff := cmp.Diff(r, Score(w, a)); diff != "" {
				t.Fatalf("%v: second Score differs (-first +second):\n%s", a, diff)
			}
			if got := Score(de, a); got.Outcome != r.Outcome || got.Margin != r.Margin || !cmp.Equal(got.Flip, r.Flip) {
				t.Fatalf("%v: German gives %q %v %v, English %q %v %v", a, got.Outcome, got.Margin, got.Flip, r.Outcome, r.Margin, r.Flip)
			}
		}
		for _, d := range r.Drivers {
			if r.Outcome != content.Either && d.Toward != r.Outcome {
				t.Fatalf("%v: driver %+v is not toward %q", a, d, r.Outcome)
			}
		}
		if !r.Provisional {
			complete[r.Outcome]++
		}
		checkFlip(t, w, a, r)
	})
	total := 0
	for _, outcome := range w.Outcomes() {
		if complete[outcome] == 0 {
			t.Errorf("no complete set of answers gives %q", outcome)
		}
		total += complete[outcome]
	}
	// A close call is a real answer sometimes, not the answer most of the
	// time: at most a quarter of complete answer sets.
	if share := float64(complete[content.Either]) / float64(total); share > 0.25 {
		t.Errorf("%.1f%% of complete answer sets end in %q, want at most 25%%", 100*share, content.Either)
	}
	for _, outcome := range w.Outcomes() {
		t.Logf("complete answer sets giving %s: %d of %d (%.1f%%)", outcome, complete[outcome], total, 100*float64(complete[outcome])/float64(total))
	}
}

// TestNobodyInternalNeverGetsCoManaged states the rule the client's page
// makes: without internal IT, co-managed IT has nobody to share with. Over
// every answer set (partial ones too), an organisation where nobody does IT
// gets fully managed IT: never co-managed, never "either".
func TestNobodyInternalNeverGetsCoManaged(t *testing.T) {
	w := mustWidget(t, "en")
	everyAnswerSet(w, func(a Answers) {
		if a["internal-it"] != "nobody" {
			return
		}
		r := Score(w, a)
		if r.Outcome != "fully-managed" || len(r.Drivers) == 0 || r.Drivers[0].Question != "internal-it" {
			t.Fatalf("%v: %q driven by %v, want fully-managed driven first by internal-it", a, r.Outcome, r.Drivers)
		}
	})
}

// checkFlip re-scores with the flip applied and checks it gives the outcome
// it promises, or, when there is no flip, that no single change of an answer
// changes the outcome.
func checkFlip(t *testing.T, w *content.Widget, a Answers, r Recommendation) {
	t.Helper()
	if r.Flip != nil {
		if a[r.Flip.Question] == "" || a[r.Flip.Question] == r.Flip.Option {
			t.Fatalf("%v: flip %+v does not change an answer", a, r.Flip)
		}
		changed := maps.Clone(a)
		changed[r.Flip.Question] = r.Flip.Option
		got := Score(w, changed).Outcome
		if got != r.Flip.Outcome || got == r.Outcome {
			t.Fatalf("%v: flip %+v gives %q, was %q", a, r.Flip, got, r.Outcome)
		}
		return
	}
	for q := range a {
		question, _ := w.Question(q)
		for _, o := range question.Options {
			changed := maps.Clone(a)
			changed[q] = o.ID
			if got := Score(w, changed).Outcome; got != r.Outcome {
				t.Fatalf("%v: no flip reported, but %s=%s gives %q instead of %q", a, q, o.ID, got, r.Outcome)
			}
		}
	}
}
