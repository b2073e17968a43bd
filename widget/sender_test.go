package widget

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// recordingTransport answers posts from a script of statuses and keeps
// every body it was given; the real fetch and beacon paths are exercised
// in the browser by the e2e suite.
type recordingTransport struct {
	mu       sync.Mutex
	statuses []int // answers in order; 202 once exhausted
	retry    int   // seconds
	posts    []event.Batch
	beacons  []event.Batch
	posted   chan struct{}
}

func (r *recordingTransport) Post(body []byte) (int, int) {
	var b event.Batch
	json.Unmarshal(body, &b)
	r.mu.Lock()
	r.posts = append(r.posts, b)
	status := 202
	if len(r.statuses) > 0 {
		status, r.statuses = r.statuses[0], r.statuses[1:]
	}
	r.mu.Unlock()
	r.posted <- struct{}{}
	return status, r.retry
}

func (r *recordingTransport) Beacon(body []byte) bool {
	var b event.Batch
	json.Unmarshal(body, &b)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.beacons = append(r.beacons, b)
	return true
}

// clock collects the sender's scheduled flushes so a test runs them when
// it chooses.
type clock struct {
	mu     sync.Mutex
	delays []time.Duration
	funcs  []func()
}

func (c *clock) after(d int64, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delays = append(c.delays, time.Duration(d))
	c.funcs = append(c.funcs, f)
}

func (c *clock) fire() time.Duration {
	c.mu.Lock()
	if len(c.funcs) == 0 {
		c.mu.Unlock()
		return -1
	}
	f, d := c.funcs[0], c.delays[0]
	c.funcs, c.delays = c.funcs[1:], c.delays[1:]
	c.mu.Unlock()
	f()
	return d
}

func newTestSender(statuses ...int) (*sender, *recordingTransport, *clock) {
	tr := &recordingTransport{statuses: statuses, posted: make(chan struct{}, 100)}
	c := &clock{}
	s := newSender(tr, event.Batch{Partner: "acme", Widget: "w", Page: event.Page{Origin: "https://acme.com", Path: "/"}}, true)
	s.after = c.after
	return s, tr, c
}

// waitIdle waits for the sender's background post to be settled.
func waitIdle(t *testing.T, s *sender) {
	t.Helper()
	for range 200 {
		s.mu.Lock()
		busy := s.inFlight
		s.mu.Unlock()
		if !busy {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("sender still busy after 1s")
}

func TestSenderBatchesByCountAndTime(t *testing.T) {
	s, tr, c := newTestSender()
	s.Record(newID(), event.QuizStarted, event.Data{})
	if d := c.fire(); d != batchDelay {
		t.Fatalf("first event scheduled a flush in %v, want %v", d, batchDelay)
	}
	<-tr.posted
	waitIdle(t, s)
	for range batchEvents {
		s.Record(newID(), event.FAQOpened, event.Data{FAQ: "x"})
	}
	<-tr.posted // the 20th event sends at once, without waiting for the timer
	waitIdle(t, s)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.posts) != 2 || len(tr.posts[0].Events) != 1 || len(tr.posts[1].Events) != batchEvents {
		t.Fatalf("posts of %v events", lens(tr.posts))
	}
	if tr.posts[1].Partner != "acme" || tr.posts[1].Page.Origin != "https://acme.com" {
		t.Errorf("batch context %+v", tr.posts[1])
	}
	ids := map[string]bool{}
	for _, b := range tr.posts {
		for _, e := range b.Events {
			if !event.ValidUUIDv7(e.ID) || ids[e.ID] {
				t.Errorf("event id %q is not a fresh UUIDv7", e.ID)
			}
			ids[e.ID] = true
		}
	}
}

func lens(bs []event.Batch) []int {
	var n []int
	for _, b := range bs {
		n = append(n, len(b.Events))
	}
	return n
}

func TestSenderRetriesWithBackoffAndRetryAfter(t *testing.T) {
	s, tr, c := newTestSender(503, 0, 429, 202)
	tr.retry = 0
	s.Record(newID(), event.QuizStarted, event.Data{})
	var waits []time.Duration
	c.fire() // the batch delay
	for range 4 {
		<-tr.posted
		waitIdle(t, s)
		if d := c.fire(); d >= 0 {
			waits = append(waits, d)
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.posts) != 4 {
		t.Fatalf("%d posts, want 4 (3 failures then success)", len(tr.posts))
	}
	for i := 1; i < 4; i++ {
		if tr.posts[i].Events[0].ID != tr.posts[0].Events[0].ID {
			t.Error("a retry sent a different event id: the server could not deduplicate")
		}
	}
	if len(waits) != 3 {
		t.Fatalf("waits %v, want 3 backoffs", waits)
	}
	for i, w := range waits {
		hi := time.Second << i
		if w < hi/2 || w > hi {
			t.Errorf("backoff %d = %v, want within [%v, %v]", i+1, w, hi/2, hi)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) != 0 {
		t.Errorf("%d events still queued after the 202", len(s.queue))
	}
}

func TestSenderHonoursRetryAfterAndDropsRefusedBatches(t *testing.T) {
	s, tr, c := newTestSender(429)
	tr.retry = 30
	s.Record(newID(), event.QuizStarted, event.Data{})
	c.fire()
	<-tr.posted
	waitIdle(t, s)
	if d := c.fire(); d != 30*time.Second {
		t.Errorf("after 429 with Retry-After 30: waited %v", d)
	}
	<-tr.posted
	waitIdle(t, s)

	s2, tr2, c2 := newTestSender(400)
	s2.Record(newID(), event.QuizStarted, event.Data{})
	c2.fire()
	<-tr2.posted
	waitIdle(t, s2)
	if d := c2.fire(); d != -1 {
		t.Errorf("a 400 was retried (after %v); retrying cannot fix it", d)
	}
}

func TestSenderQueueIsBoundedAndConsentDrops(t *testing.T) {
	s, _, _ := newTestSender(0)
	s.mu.Lock()
	s.inFlight = true // the network is down: nothing leaves
	s.mu.Unlock()
	for range queueEvents + 15 {
		s.Record(newID(), event.FAQOpened, event.Data{FAQ: "x"})
	}
	s.mu.Lock()
	if len(s.queue) != queueEvents || s.Dropped != 15 {
		t.Errorf("queue %d dropped %d, want %d and 15", len(s.queue), s.Dropped, queueEvents)
	}
	s.mu.Unlock()

	off, tr, c := newTestSender()
	off.SetEnabled(false)
	off.Record(newID(), event.QuizStarted, event.Data{})
	off.SetEnabled(true)
	off.Record(newID(), event.QuizRestarted, event.Data{})
	c.fire()
	<-tr.posted
	waitIdle(t, off)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var types []event.Type
	for _, e := range tr.posts[0].Events {
		types = append(types, e.Type)
	}
	if diff := cmp.Diff([]event.Type{event.QuizRestarted}, types); diff != "" {
		t.Errorf("events before consent must be dropped, not buffered (-want +got):\n%s", diff)
	}
}

func TestSenderBeaconsEverythingQueued(t *testing.T) {
	s, tr, _ := newTestSender()
	for range 120 {
		s.Record(newID(), event.FAQOpened, event.Data{FAQ: "x"})
	}
	// Three posts may be under way; the beacon sends every queued event,
	// in batches the server accepts.
	s.FlushBeacon()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	total := 0
	for _, b := range tr.beacons {
		if len(b.Events) > event.MaxEvents {
			t.Errorf("a beacon of %d events; the server takes %d", len(b.Events), event.MaxEvents)
		}
		total += len(b.Events)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) != 0 {
		t.Errorf("%d events left queued after the beacons", len(s.queue))
	}
	// Every event went out in a post or a beacon (some in both: the server
	// keeps each once).
	ids := map[string]bool{}
	for _, b := range append(append([]event.Batch(nil), tr.posts...), tr.beacons...) {
		for _, e := range b.Events {
			ids[e.ID] = true
		}
	}
	if len(ids) != 120 || total == 0 {
		t.Errorf("%d distinct events delivered (%d by beacon), want 120", len(ids), total)
	}
}

// newID is a fresh event id, as the recording derives them.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
