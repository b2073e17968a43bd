package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/uuid"
)

// eventAt is newEvent at a given time (the server's clock may be moved).
func eventAt(at time.Time, typ, data string) string {
	if data != "" {
		data = `,"data":` + data
	}
	return fmt.Sprintf(`{"id":%q,"type":%q,"at":%q%s}`, uuid.Must(uuid.NewV7()).String(), typ, at.UTC().Format(time.RFC3339Nano), data)
}

// widgetBatch is batchBody for another widget.
func widgetBatch(widget string, events ...string) string {
	return strings.Replace(batchBody("acme", partnerPage, events...), `"widget":"co-managed-vs-fully-managed"`, fmt.Sprintf(`"widget":%q`, widget), 1)
}

func TestIngestRefusesIDsTheContentDoesNotDefine(t *testing.T) {
	e := newIngestEnv(t, nil)
	valid := newEvent("widget_viewed", "")
	for _, tc := range []struct {
		name, body, field string
	}{
		{"widget", widgetBatch("made-up-widget", newEvent("widget_viewed", "")), "widget"},
		{"question", batchBody("acme", partnerPage, valid, newEvent("question_answered", `{"question":"made-up","option":"it-team","index":0}`)), "events[1].data.question"},
		{"option", batchBody("acme", partnerPage, newEvent("question_answered", `{"question":"internal-it","option":"made-up","index":0}`)), "events[0].data.option"},
		// Another question's option is not this one's.
		{"option of another question", batchBody("acme", partnerPage, newEvent("question_answered", `{"question":"internal-it","option":"keep-control","index":0}`)), "events[0].data.option"},
		{"index", batchBody("acme", partnerPage, newEvent("question_answered", `{"question":"internal-it","option":"it-team","index":5}`)), "events[0].data.index"},
		{"faq", batchBody("acme", partnerPage, newEvent("faq_opened", `{"faq":"made-up"}`)), "events[0].data.faq"},
		{"cta", batchBody("acme", partnerPage, newEvent("cta_clicked", `{"cta":"made-up","outcome":"co-managed"}`)), "events[0].data.cta"},
		{"shared", batchBody("acme", partnerPage, newEvent("worksheet_completed", `{"shared":["patching","made-up"],"undecided":[]}`)), "events[0].data.shared[1]"},
		{"undecided", batchBody("acme", partnerPage, newEvent("worksheet_completed", `{"shared":[],"undecided":["made-up"]}`)), "events[0].data.undecided[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.post(t, post{body: tc.body})
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"code":"invalid"`) || !strings.Contains(body, tc.field+": ") {
				t.Errorf("status %d, body %s; want 400 invalid naming %s", res.StatusCode, body, tc.field)
			}
		})
	}
	if evs := e.stored(t); len(evs) != 0 {
		t.Fatalf("refused batches stored %d events", len(evs))
	}

	// Every id the content defines, in English and German (ids are the same
	// in every locale), is accepted.
	res, body := e.post(t, post{body: batchBody("acme", partnerPage,
		newEvent("question_answered", `{"question":"internal-it","option":"it-team","index":0}`),
		newEvent("question_answered", `{"question":"ownership-today","option":"unclear","index":6}`),
		newEvent("faq_opened", `{"faq":"small-business"}`),
		newEvent("cta_clicked", `{"cta":"contact","outcome":"either"}`),
		newEvent("worksheet_completed", `{"shared":["patching","documentation"],"undecided":["network"]}`))})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("valid batch: %d %s", res.StatusCode, body)
	}
	de := strings.Replace(batchBody("acme", partnerPage, newEvent("faq_opened", `{"faq":"m365-and-security"}`)), `"locale":"en"`, `"locale":"de"`, 1)
	if res, body := e.post(t, post{body: de}); res.StatusCode != http.StatusAccepted {
		t.Fatalf("German batch: %d %s", res.StatusCode, body)
	}
}

// An id the content no longer defines but that counted events carried on
// the day the content was loaded or the day before (a page the previous
// content served, still open in a browser) is accepted for 48 hours.
func TestIngestAcceptsIDsRecentEventsCarried(t *testing.T) {
	e := newIngestEnv(t, nil)
	clock := server.SetTestClock(e.srv)
	yesterday := time.Now().Add(-24 * time.Hour)
	old := visit("acme", yesterday, "",
		ev(event.QuestionAnswered, event.Data{Question: "old-question", Option: "old-option", Index: intp(2)}),
		ev(event.FAQOpened, event.Data{FAQ: "old-faq"}),
		ev(event.CTAClicked, event.Data{CTA: "old-cta", Outcome: event.Either}),
		ev(event.WorksheetCompleted, event.Data{Shared: []string{"old-duty"}, Undecided: []string{}}))
	oldWidget := visit("acme", yesterday, "", ev(event.WidgetViewed, event.Data{}))
	oldWidget.Widget = "old-widget"
	e.write(t, old, oldWidget)

	recent := func(at time.Time) []string {
		return []string{
			batchBody("acme", partnerPage, eventAt(at, "question_answered", `{"question":"old-question","option":"old-option","index":2}`),
				eventAt(at, "faq_opened", `{"faq":"old-faq"}`), eventAt(at, "cta_clicked", `{"cta":"old-cta","outcome":"either"}`),
				eventAt(at, "worksheet_completed", `{"shared":["old-duty","patching"],"undecided":[]}`),
				// Today's content in the same batch: a page loaded across the change.
				eventAt(at, "faq_opened", `{"faq":"small-business"}`)),
			widgetBatch("old-widget", eventAt(at, "widget_viewed", "")),
		}
	}
	for i, body := range recent(time.Now()) {
		if res, b := e.post(t, post{body: body}); res.StatusCode != http.StatusAccepted {
			t.Fatalf("batch %d of recent ids: %d %s", i, res.StatusCode, b)
		}
	}
	// Recent ids are known as what they were: an old option at another
	// position, or under another question, is still made up.
	for _, body := range []string{
		batchBody("acme", partnerPage, newEvent("question_answered", `{"question":"old-question","option":"old-option","index":0}`)),
		batchBody("acme", partnerPage, newEvent("question_answered", `{"question":"internal-it","option":"old-option","index":0}`)),
		batchBody("acme", partnerPage, newEvent("faq_opened", `{"faq":"never-counted"}`)),
	} {
		if res, b := e.post(t, post{body: body}); res.StatusCode != http.StatusBadRequest {
			t.Errorf("made-up id beside recent ones: %d %s, want 400", res.StatusCode, b)
		}
	}

	clock.Advance(48 * time.Hour)
	for i, body := range recent(time.Now().Add(48 * time.Hour)) {
		if res, b := e.post(t, post{body: body}); res.StatusCode != http.StatusBadRequest {
			t.Errorf("batch %d of ids 48 h after the content load: %d %s, want 400", i, res.StatusCode, b)
		}
	}
}

// floodBatch is a batch of 50 events that each name an id of their own,
// of every kind an event carries, none of which the content defines; the
// first event is valid, so a batch stored in part would show.
func floodBatch(n int) string {
	events := []string{newEvent("widget_viewed", "")}
	for len(events) < event.MaxEvents {
		id := fmt.Sprintf("made-up-%d-%d", n, len(events))
		switch len(events) % 6 {
		case 0:
			events = append(events, newEvent("question_answered", `{"question":"`+id+`","option":"it-team","index":0}`))
		case 1:
			events = append(events, newEvent("question_answered", `{"question":"internal-it","option":"`+id+`","index":0}`))
		case 2:
			events = append(events, newEvent("faq_opened", `{"faq":"`+id+`"}`))
		case 3:
			events = append(events, newEvent("cta_clicked", `{"cta":"`+id+`","outcome":"co-managed"}`))
		case 4:
			events = append(events, newEvent("worksheet_completed", `{"shared":["`+id+`"],"undecided":[]}`))
		case 5:
			events = append(events, newEvent("worksheet_completed", `{"shared":[],"undecided":["`+id+`"]}`))
		}
	}
	body := batchBody("acme", partnerPage, events...)
	if n%10 == 0 { // and a made-up widget, now and then
		body = strings.Replace(body, `"widget":"co-managed-vs-fully-managed"`, fmt.Sprintf(`"widget":"made-up-widget-%d"`, n), 1)
	}
	return body
}

// 100,000 made-up ids, sent as the widget sends events (2,000 batches of
// 50 from four clients at once), change nothing in the stats: each batch
// is refused with a 400 and nothing of it is stored.
func TestMadeUpIDsChangeNothingInTheStats(t *testing.T) {
	e := newStatsEnv(t)
	res, body := e.post(t, post{body: batchBody("acme", partnerPage,
		newEvent("widget_viewed", ""), newEvent("quiz_started", ""),
		newEvent("question_answered", `{"question":"internal-it","option":"it-team","index":0}`),
		newEvent("faq_opened", `{"faq":"small-business"}`),
		newEvent("cta_clicked", `{"cta":"contact","outcome":"co-managed"}`),
		newEvent("worksheet_completed", `{"shared":["patching"],"undecided":["network"]}`))})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("real events: %d %s", res.StatusCode, body)
	}
	statsOf := func() map[string][]byte {
		out := map[string][]byte{}
		for _, q := range []struct{ path, token string }{
			{"/api/v1/stats", "admin-secret"}, {"/api/v1/stats", acmeToken}, {"/api/v1/stats.csv", acmeToken},
		} {
			res, b := e.getStats(t, q.path, q.token)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %s", q.path, res.StatusCode, b)
			}
			out[q.path+" "+q.token] = b
		}
		return out
	}
	before := statsOf()
	storedBefore := len(e.stored(t))

	const batches = 100_000 / (event.MaxEvents - 1)
	var next, refused atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var unexpected []string
	for range 4 {
		wg.Go(func() {
			for n := next.Add(1); n <= batches+1; n = next.Add(1) {
				req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/events", strings.NewReader(floodBatch(int(n))))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", testOrigin)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					mu.Lock()
					unexpected = append(unexpected, err.Error())
					mu.Unlock()
					return
				}
				var b bytes.Buffer
				b.ReadFrom(res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusBadRequest {
					refused.Add(1)
				} else {
					mu.Lock()
					unexpected = append(unexpected, fmt.Sprintf("%d %s", res.StatusCode, b.String()))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(unexpected) > 0 {
		t.Fatalf("%d flood batches were not refused with 400, the first: %s", len(unexpected), unexpected[0])
	}
	if refused.Load() != batches+1 {
		t.Fatalf("%d batches refused, want %d", refused.Load(), batches+1)
	}
	if n := len(e.stored(t)); n != storedBefore {
		t.Errorf("the flood stored %d events", n-storedBefore)
	}
	after := statsOf()
	for k, b := range before {
		if !bytes.Equal(b, after[k]) {
			t.Errorf("%s changed after the flood:\nbefore %s\nafter  %s", k, b, after[k])
		}
	}
}
