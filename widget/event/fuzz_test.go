package event

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// survives a round trip: encoded with encoding/json (as the widget sends
// it), it decodes and validates again to the same batch.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(fullBody))
	for _, tt := range []struct{ typ, data string }{
		{"widget_loaded", ""}, {"quiz_restarted", "{}"},
		{"question_answered", `{"question":"q","option":"o","index":3}`},
		{"quiz_completed", `{"outcome":"fully-managed","margin":0}`},
		{"recommendation_shown", `{"outcome":"either","margin":0.25}`},
		{"faq_opened", `{"faq":"cost"}`},
		{"worksheet_completed", `{"shared":["patching","backup"],"undecided":[]}`},
		{"cta_clicked", `{"cta":"book-call","outcome":"co-managed"}`},
	} {
		f.Add([]byte(withEvents(ev(tt.typ, tt.data))))
	}
	f.Add([]byte(`{"partner":"d","widget":"w","utm":{"source":"caf\u00e9 \ud83d\ude00"},"events":[` + ev("widget_viewed", "") + `]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := Decode(body, now)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Decode returned %T %v, not an *Error", err, err)
			}
			return
		}
		// The parser is ours, not encoding/json: it must accept only JSON.
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding an accepted batch: %v", err)
		}
		b2, err := Decode(again, now)
		if err != nil {
			t.Fatalf("the accepted batch, re-encoded as %s, is rejected: %v", again, err)
		}
		if diff := cmp.Diff(b, b2); diff != "" {
			t.Fatalf("round trip changed the batch (-first +second):\n%s", diff)
		}
		if err := b2.Validate(now); err != nil {
			t.Fatalf("Validate rejects what Decode accepted: %v", err)
		}
	})
}
