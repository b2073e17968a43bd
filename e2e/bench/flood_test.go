package main

import (
	"testing"
	"time"

	"github.com/ehforge/forgefit/widget/event"
)

// TestFloodBatch checks the flood's batches pass every check but the
// content's (the wire format, the vocabulary, fresh ids), so that the
// 400s the bench counts are the content check's, and that each event names
// a question of its own; and that the real visit is valid.
func TestFloodBatch(t *testing.T) {
	w := newBatchWriter("http://127.0.0.1:1")
	questions := map[string]bool{}
	for request := range 3 {
		b, err := event.Decode(floodBatch(w, request, 50), time.Now())
		if err != nil {
			t.Fatalf("flood batch %d: %v", request, err)
		}
		if b.Partner != benchPartner || b.Widget != widgetID || len(b.Events) != 50 {
			t.Fatalf("flood batch %d: partner %q, widget %q, %d events", request, b.Partner, b.Widget, len(b.Events))
		}
		for _, e := range b.Events {
			if e.Type != event.QuestionAnswered || questions[e.Data.Question] {
				t.Errorf("event %+v: not a question_answered naming a question of its own", e)
			}
			questions[e.Data.Question] = true
		}
	}
	b, err := event.Decode(realBatch(w), time.Now())
	if err != nil {
		t.Fatalf("real visit: %v", err)
	}
	if len(b.Events) != 6 {
		t.Errorf("real visit: %d events", len(b.Events))
	}
}
