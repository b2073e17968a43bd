package fit

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/widget/content"
)

// option is shorthand for an option weighing models "a" and "b".
func option(id string, a, b int, reason string) content.Option {
	return content.Option{ID: id, Label: id, Weights: map[string]int{"a": a, "b": b}, Reason: reason}
}

// small is a widget whose arithmetic is easy to follow: the most lopsided
// answers give leads of 2, 1 and 4 points, so 7 in all.
func small() *content.Widget {
	return &content.Widget{
		Comparison: content.Comparison{Models: []content.Model{{ID: "a"}, {ID: "b"}}},
		Fit: content.FitQuestions{Questions: []content.Question{
			{ID: "q1", Options: []content.Option{option("x", 2, 0, "q1 x"), option("y", 0, 2, "q1 y"), option("n", 1, 1, "")}},
			{ID: "q2", Options: []content.Option{option("x", 1, 0, "q2 x"), option("y", 0, 1, "")}},
			{ID: "q3", Options: []content.Option{option("x", 4, 0, "q3 x"), option("y", 0, 4, "q3 y")}},
		}},
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name    string
		answers Answers
		want    Recommendation
	}{
		{
			name:    "no answers",
			answers: Answers{},
			want: Recommendation{
				Outcome: content.Either, Provisional: true, Total: 3,
				Scores: map[string]int{"a": 0, "b": 0},
			},
		},
		{
			name:    "unknown question and option are ignored",
			answers: Answers{"q1": "maybe", "q9": "x"},
			want: Recommendation{
				Outcome: content.Either, Provisional: true, Total: 3,
				Scores: map[string]int{"a": 0, "b": 0},
			},
		},
		{
			name:    "every answer for a",
			answers: Answers{"q1": "x", "q2": "x", "q3": "x"},
			want: Recommendation{
				Outcome: "a", Leaning: "a", Margin: 1, Answered: 3, Total: 3,
				Scores: map[string]int{"a": 7, "b": 0},
				Drivers: []Driver{
					{Question: "q3", Option: "x", Toward: "a", Strength: 4, Reason: "q3 x"},
					{Question: "q1", Option: "x", Toward: "a", Strength: 2, Reason: "q1 x"},
					{Question: "q2", Option: "x", Toward: "a", Strength: 1, Reason: "q2 x"},
				},
				// Only the heaviest question can undo a 7-point lead, and
				// only as far as a 1-point lead for b: a close call.
				Flip: &Flip{Question: "q3", Option: "y", Outcome: content.Either},
			},
		},
		{
			name:    "b wins and drivers for a are left out",
			answers: Answers{"q1": "y", "q2": "x", "q3": "y"},
			want: Recommendation{
				Outcome: "b", Leaning: "b", Margin: 5.0 / 7, Answered: 3, Total: 3,
				Scores: map[string]int{"a": 1, "b": 6},
				Drivers: []Driver{
					{Question: "q3", Option: "y", Toward: "b", Strength: 4, Reason: "q3 y"},
					{Question: "q1", Option: "y", Toward: "b", Strength: 2, Reason: "q1 y"},
				},
				// Moving q1 from y to x is a 4-point change and leaves b a
				// 1-point lead: too close to call. q3 would tip it to a
				// but is a bigger change.
				Flip: &Flip{Question: "q1", Option: "x", Outcome: content.Either},
			},
		},
		{
			name:    "small margin is either, still leaning",
			answers: Answers{"q1": "y", "q2": "y", "q3": "x"},
			want: Recommendation{
				Outcome: content.Either, Leaning: "a", Margin: 1.0 / 7, Answered: 3, Total: 3,
				Scores: map[string]int{"a": 4, "b": 3},
				// For either, the answers that pulled each way.
				Drivers: []Driver{
					{Question: "q3", Option: "x", Toward: "a", Strength: 4, Reason: "q3 x"},
					{Question: "q1", Option: "y", Toward: "b", Strength: 2, Reason: "q1 y"},
					{Question: "q2", Option: "y", Toward: "b", Strength: 1},
				},
				// q1 x and q1 n both tip it to a; n is the smaller change,
				// and q2 x, as small, comes later.
				Flip: &Flip{Question: "q1", Option: "n", Outcome: "a"},
			},
		},
		{
			name:    "tie",
			answers: Answers{"q1": "n"},
			want: Recommendation{
				Outcome: content.Either, Provisional: true, Answered: 1, Total: 3,
				Scores: map[string]int{"a": 1, "b": 1},
				Flip:   &Flip{Question: "q1", Option: "x", Outcome: "a"},
			},
		},
		{
			name:    "answers pulling both ways nearly cancel",
			answers: Answers{"q1": "x", "q3": "y", "q2": "x"},
			want: Recommendation{
				Outcome: content.Either, Margin: 1.0 / 7, Leaning: "b", Answered: 3, Total: 3,
				Scores: map[string]int{"a": 3, "b": 4},
				Drivers: []Driver{
					{Question: "q3", Option: "y", Toward: "b", Strength: 4, Reason: "q3 y"},
					{Question: "q1", Option: "x", Toward: "a", Strength: 2, Reason: "q1 x"},
					{Question: "q2", Option: "x", Toward: "a", Strength: 1, Reason: "q2 x"},
				},
				Flip: &Flip{Question: "q1", Option: "n", Outcome: "b"},
			},
		},
		{
			name:    "partial answers give a provisional lean",
			answers: Answers{"q3": "y"},
			want: Recommendation{
				Outcome: "b", Leaning: "b", Margin: 1, Provisional: true, Answered: 1, Total: 3,
				Scores:  map[string]int{"a": 0, "b": 4},
				Drivers: []Driver{{Question: "q3", Option: "y", Toward: "b", Strength: 4, Reason: "q3 y"}},
				Flip:    &Flip{Question: "q3", Option: "x", Outcome: "a"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(small(), tt.answers)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Score (-want +got):\n%s", diff)
			}
		})
	}
}
