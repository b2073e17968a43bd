package content

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustDefault parses the built-in content of the default widget in locale, a
// fresh copy each time so a test may change it.
func mustDefault(tb testing.TB, locale string) *Widget {
	tb.Helper()
	b, err := defaults.ReadFile("defaults/co-managed-vs-fully-managed." + locale + ".json")
	if err != nil {
		tb.Fatal(err)
	}
	w, err := Parse(b)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// problemsOf splits a Validate error into its "field: message" lines.
func problemsOf(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "; ")
}

func TestDefaultsValidate(t *testing.T) {
	for _, locale := range []string{"en", "de"} {
		w := mustDefault(t, locale)
		if err := w.Validate(); err != nil {
			t.Errorf("default %s content: %v", locale, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(w *Widget)
		want   []string
	}{
		{
			name:   "bad widget id",
			change: func(w *Widget) { w.ID = "Co Managed" },
			want:   []string{`id: "Co Managed" is not a valid id (lowercase letters, digits and dashes)`},
		},
		{
			name:   "bad locale",
			change: func(w *Widget) { w.Locale = "EN_us" },
			want:   []string{`locale: "EN_us" is not a valid locale`},
		},
		{
			name:   "no title",
			change: func(w *Widget) { w.Title = " " },
			want:   []string{"title: is required"},
		},
		{
			name:   "no direct answer",
			change: func(w *Widget) { w.DirectAnswer = nil },
			want:   []string{"direct_answer: needs at least one paragraph"},
		},
		{
			name:   "empty paragraph",
			change: func(w *Widget) { w.NextSteps.Paragraphs = append(w.NextSteps.Paragraphs, "") },
			want:   []string{"next_steps.paragraphs[1]: is required"},
		},
		{
			name: "model id used twice",
			change: func(w *Widget) {
				w.Comparison.Models = append(w.Comparison.Models, Model{ID: "co-managed", Name: "Hybrid"})
			},
			want: []string{`comparison.models[2].id: "co-managed" is used twice`},
		},
		{
			name: "model named either",
			change: func(w *Widget) {
				w.Comparison.Models = append(w.Comparison.Models, Model{ID: Either, Name: "Either"})
				for _, t := range w.Comparison.Topics {
					t.Cells[Either] = "Depends"
				}
				for _, q := range w.Fit.Questions {
					for _, o := range q.Options {
						o.Weights[Either] = 1
					}
				}
				w.Fits = append(w.Fits, ModelFit{Model: Either, Heading: "When either", Paragraphs: []string{"Often."}})
			},
			want: []string{
				`comparison.models[2].id: "either" is the outcome when no model fits better, so no model may have that id`,
			},
		},
		{
			name:   "topic cell missing",
			change: func(w *Widget) { delete(w.Comparison.Topics[2].Cells, "fully-managed") },
			want:   []string{"comparison.topics[2].cells.fully-managed: is missing"},
		},
		{
			name:   "topic cell for no model",
			change: func(w *Widget) { w.Comparison.Topics[0].Cells["hybrid"] = "Some" },
			want:   []string{"comparison.topics[0].cells.hybrid: names no model"},
		},
		{
			name:   "fit section missing",
			change: func(w *Widget) { w.Fits = w.Fits[:1] },
			want:   []string{`fits: has no section for model "fully-managed"`},
		},
		{
			name:   "fit section twice",
			change: func(w *Widget) { w.Fits[1].Model = "co-managed" },
			want: []string{
				`fits[1].model: "co-managed" has a section already`,
				`fits: has no section for model "fully-managed"`,
			},
		},
		{
			name:   "pitfall id used twice",
			change: func(w *Widget) { w.Pitfalls.Items[1].ID = "fuzzy-shared-ownership" },
			want: []string{
				`pitfalls.items[1].id: "fuzzy-shared-ownership" is used twice`,
				`results[1].pitfalls[0]: "vague-scope" names no pitfall`,
				`results[2].pitfalls[1]: "vague-scope" names no pitfall`,
			},
		},
		{
			name:   "pitfall without text",
			change: func(w *Widget) { w.Pitfalls.Items[0].Text = "" },
			want:   []string{"pitfalls.items[0].text: is required"},
		},
		{
			name:   "faq id used twice and no answer",
			change: func(w *Widget) { w.FAQ.Entries[1].ID = "m365-and-security"; w.FAQ.Entries[1].Answer = "" },
			want: []string{
				`faq.entries[1].id: "m365-and-security" is used twice`,
				"faq.entries[1].answer: is required",
			},
		},
		{
			name:   "no questions",
			change: func(w *Widget) { w.Fit.Questions = nil },
			want:   []string{"fit.questions: needs at least one question"},
		},
		{
			name:   "question id used twice",
			change: func(w *Widget) { w.Fit.Questions[3].ID = "internal-it" },
			want:   []string{`fit.questions[3].id: "internal-it" is used twice`},
		},
		{
			name:   "question without prompt",
			change: func(w *Widget) { w.Fit.Questions[0].Prompt = "" },
			want:   []string{"fit.questions[0].prompt: is required"},
		},
		{
			name:   "one option",
			change: func(w *Widget) { w.Fit.Questions[1].Options = w.Fit.Questions[1].Options[:1] },
			want:   []string{"fit.questions[1].options: needs at least two options, has 1"},
		},
		{
			name:   "option id used twice in a question",
			change: func(w *Widget) { w.Fit.Questions[0].Options[2].ID = "it-team" },
			want:   []string{`fit.questions[0].options[2].id: "it-team" is used twice`},
		},
		{
			name: "option id reused in another question",
			// Events carry question and option together, so this is fine.
			change: func(w *Widget) { w.Fit.Questions[0].Options[2].ID = "partly" },
		},
		{
			name:   "option not weighted for a model",
			change: func(w *Widget) { delete(w.Fit.Questions[2].Options[1].Weights, "co-managed") },
			want:   []string{"fit.questions[2].options[1].weights.co-managed: is missing: every option weighs every model"},
		},
		{
			name:   "option weighted for no model",
			change: func(w *Widget) { w.Fit.Questions[2].Options[1].Weights["hybrid"] = 1 },
			want:   []string{"fit.questions[2].options[1].weights.hybrid: names no model"},
		},
		{
			name:   "option ruling out an unknown model",
			change: func(w *Widget) { w.Fit.Questions[2].Options[1].Excludes = []string{"hybrid"} },
			want:   []string{`fit.questions[2].options[1].excludes[0]: "hybrid" names no model`},
		},
		{
			name:   "option ruling out every model",
			change: func(w *Widget) { w.Fit.Questions[2].Options[1].Excludes = []string{"co-managed", "fully-managed"} },
			want:   []string{"fit.questions[2].options[1].excludes: rules out every model"},
		},
		{
			name: "weight out of range",
			change: func(w *Widget) {
				w.Fit.Questions[4].Options[0].Weights["fully-managed"] = -1
				w.Fit.Questions[4].Options[1].Weights["co-managed"] = MaxWeight + 1
			},
			want: []string{
				"fit.questions[4].options[0].weights.fully-managed: is -1, want 0 to 10",
				"fit.questions[4].options[1].weights.co-managed: is 11, want 0 to 10",
			},
		},
		{
			name:   "option without label",
			change: func(w *Widget) { w.Fit.Questions[5].Options[0].Label = "" },
			want:   []string{"fit.questions[5].options[0].label: is required"},
		},
		{
			name:   "result for no outcome",
			change: func(w *Widget) { w.Results[2].Outcome = "hybrid" },
			want: []string{
				`results[2].outcome: "hybrid" is neither a model id nor "either"`,
				`results: has no result for outcome "either"`,
			},
		},
		{
			name:   "result twice",
			change: func(w *Widget) { w.Results[1].Outcome = "co-managed" },
			want: []string{
				`results[1].outcome: "co-managed" has a result already`,
				`results: has no result for outcome "fully-managed"`,
			},
		},
		{
			name:   "result names no pitfall",
			change: func(w *Widget) { w.Results[0].Pitfalls = []string{"fuzzy-shared-ownership", "lock-in"} },
			want:   []string{`results[0].pitfalls[1]: "lock-in" names no pitfall`},
		},
		{
			name:   "result without label",
			change: func(w *Widget) { w.Results[2].Label = "" },
			want:   []string{"results[2].label: is required"},
		},
		{
			name:   "responsibility id used twice",
			change: func(w *Widget) { w.Worksheet.Responsibilities[4].ID = "patching" },
			want:   []string{`worksheet.responsibilities[4].id: "patching" is used twice`},
		},
		{
			name:   "critical names no responsibility",
			change: func(w *Widget) { w.Worksheet.Critical = append(w.Worksheet.Critical, "backups") },
			want:   []string{`worksheet.critical[3]: "backups" names no responsibility`},
		},
		{
			name:   "critical listed twice",
			change: func(w *Widget) { w.Worksheet.Critical = append(w.Worksheet.Critical, "patching") },
			want:   []string{`worksheet.critical[3]: "patching" is listed twice`},
		},
		{
			name:   "owner label missing",
			change: func(w *Widget) { w.Worksheet.Owners.Undecided = "" },
			want:   []string{"worksheet.owners.undecided: is required"},
		},
		{
			name:   "worksheet without warning",
			change: func(w *Widget) { w.Worksheet.Warning = "" },
			want:   []string{"worksheet.warning: is required"},
		},
		{
			name:   "relative CTA url",
			change: func(w *Widget) { w.CTA.URL = "/contact" },
			want:   []string{`cta.url: "/contact" is not an absolute http or https URL`},
		},
		{
			name:   "javascript CTA url",
			change: func(w *Widget) { w.CTA.URL = "javascript:alert(1)" },
			want:   []string{`cta.url: "javascript:alert(1)" is not an absolute http or https URL`},
		},
		{
			name:   "CTA without id and label",
			change: func(w *Widget) { w.CTA.ID = ""; w.CTA.Label = "" },
			want:   []string{`cta.id: "" is not a valid id`, "cta.label: is required"},
		},
		{
			name:   "progress without placeholders",
			change: func(w *Widget) { w.UI.Progress = "Question n of total" },
			want:   []string{"ui.progress: must contain {n}", "ui.progress: must contain {total}"},
		},
		{
			name:   "flip without outcome",
			change: func(w *Widget) { w.UI.Flip = "If you answered {option} to {question}" },
			want:   []string{"ui.flip: must contain {outcome}"},
		},
		{
			name:   "UI string missing",
			change: func(w *Widget) { w.UI.Restart = "" },
			want:   []string{"ui.restart: is required"},
		},
		{
			name:   "quote in a text written into an attribute",
			change: func(w *Widget) { w.UI.ComparisonHeading = `The "two" models` },
			want:   []string{`ui.comparison_heading: is written into an attribute, so it may hold no " or \`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := mustDefault(t, "en")
			tt.change(w)
			if diff := cmp.Diff(tt.want, problemsOf(w.Validate())); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url  string
		want string // the error, or "" for none
	}{
		{"https://example.com/contact", ""},
		{"http://example.com/contact?topic=fit#form", ""},
		{"", "is required"},
		{"example.com/contact", `"example.com/contact" is not an absolute http or https URL`},
		{"//example.com/contact", `"//example.com/contact" is not an absolute http or https URL`},
		{"ftp://example.com/", `"ftp://example.com/" is not an absolute http or https URL`},
		{"https:///contact", `"https:///contact" needs a host and no user info`},
		{"https://user:pw@example.com/", `"https://user:pw@example.com/" needs a host and no user info`},
		{"https://exa mple.com/", `"https://exa mple.com/" is not a URL`},
	}
	for _, tt := range tests {
		got := ""
		if err := CheckURL(tt.url); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckURL(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		template string
		vars     []string
		want     string
	}{
		{"Question {n} of {total}", []string{"n", "2", "total", "7"}, "Question 2 of 7"},
		{"Frage {n} von {total}", []string{"total", "7", "n", "2"}, "Frage 2 von 7"},
		{"{n} and {missing}", []string{"n", "1"}, "1 and {missing}"},
		{"odd {n}", []string{"n"}, "odd {n}"},
	}
	for _, tt := range tests {
		if got := Expand(tt.template, tt.vars...); got != tt.want {
			t.Errorf("Expand(%q, %q) = %q, want %q", tt.template, tt.vars, got, tt.want)
		}
	}
}
