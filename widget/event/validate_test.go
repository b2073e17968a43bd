package event

import (
	"errors"
	"testing"
	"time"
)

// TestValidate covers batches built in Go, as the widget builds them before
// sending: absent means a zero string, a nil pointer or a nil slice.
func TestValidate(t *testing.T) {
	ok := func() *Batch {
		return &Batch{Partner: "demo", Widget: "w", Events: []Event{{ID: id1, Type: WidgetLoaded, At: now}}}
	}
	for _, tt := range []struct {
		name  string
		edit  func(b *Batch)
		field string // "" means valid
	}{
		{"valid", func(b *Batch) {}, ""},
		{"skew inside", func(b *Batch) { b.Events[0].At = now.Add(-MaxSkew) }, ""},
		{"skew outside", func(b *Batch) { b.Events[0].At = now.Add(MaxSkew + time.Millisecond) }, "events[0].at"},
		{"worksheet with empty lists", func(b *Batch) {
			b.Events[0].Type, b.Events[0].Data = WorksheetCompleted, Data{Shared: []string{}, Undecided: []string{}}
		}, ""},
		{"worksheet with nil list", func(b *Batch) {
			b.Events[0].Type, b.Events[0].Data = WorksheetCompleted, Data{Shared: []string{"a"}}
		}, "events[0].data.undecided"},
		{"index zero is present", func(b *Batch) {
			b.Events[0].Type, b.Events[0].Data = QuestionAnswered, Data{Question: "q", Option: "o", Index: intp(0)}
		}, ""},
		{"margin NaN", func(b *Batch) {
			nan := 0.0
			nan = nan / nan
			b.Events[0].Type, b.Events[0].Data = QuizCompleted, Data{Outcome: Either, Margin: &nan}
		}, "events[0].data.margin"},
		{"data on the wrong type", func(b *Batch) { b.Events[0].Data.CTA = "x" }, "events[0].data.cta"},
		{"too many events", func(b *Batch) {
			for len(b.Events) <= MaxEvents {
				b.Events = append(b.Events, b.Events[0])
			}
		}, "events"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := ok()
			tt.edit(b)
			err := b.Validate(now)
			var e *Error
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("Validate = %v; want nil", err)
			case tt.field != "" && (!errors.As(err, &e) || e.Field != tt.field):
				t.Errorf("Validate = %v; want an error about %s", err, tt.field)
			}
		})
	}
}

func TestValidOrigin(t *testing.T) {
	for s, want := range map[string]bool{
		"https://www.acme.com": true, "http://127.0.0.1:8081": true, "http://[::1]:8080": true,
		"https://acme.com/": false, "https://ACME.com": false, "https://acme.com:443": false,
		"http://acme.com:80": false, "https://u@acme.com": false, "acme.com": false,
		"https://acme.com?x": false, "https://acmé.com": false, "null": false, "": false,
	} {
		if got := ValidOrigin(s); got != want {
			t.Errorf("ValidOrigin(%q) = %v; want %v", s, got, want)
		}
	}
}
