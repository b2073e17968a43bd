package widget

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/ehforge/forgefit/widget/event"
)

// Sending limits. A batch leaves when it has batchEvents events or has
// waited batchDelay; the queue holds at most queueEvents (the oldest are
// dropped past that, counted in Dropped) so a widget that cannot reach us
// never grows without end.
const (
	batchEvents = 20
	batchDelay  = 2 * time.Second
	queueEvents = 200
	maxBackoff  = 60 * time.Second
)

// transport is how a sender reaches the server: fetch for normal sends,
// navigator.sendBeacon when the page is going away.
type transport interface {
	// Post sends body and reports the HTTP status (0 on a network error)
	// and the Retry-After the server asked for in seconds, if any. Seconds
	// rather than a time.Duration: a Duration in an interface's method set
	// links its String method (some 4 KB) into app.wasm.
	Post(body []byte) (status, retryAfterSeconds int)
	// Beacon hands body to the browser to deliver after the page is gone,
	// and reports whether the browser took it.
	Beacon(body []byte) bool
}

// sender batches a widget mount's events and delivers them at least once:
// a failed batch goes back to the head of the queue and is retried with
// exponential backoff and jitter; the server drops duplicates by event id.
type sender struct {
	transport transport
	context   event.Batch // the mount's context; Events unused
	now       func() time.Time
	// after is time.AfterFunc, replaceable in tests. It takes the wait in
	// nanoseconds rather than as a time.Duration: a Duration reachable
	// from a value the widget puts in an interface links Duration.String
	// (some 4 KB) into app.wasm.
	after func(nanos int64, f func())

	mu       sync.Mutex
	queue    []event.Event
	timer    bool // a flush is scheduled
	inFlight bool
	failures int
	enabled  bool // false until consent when consent is required
	Dropped  int
}

func newSender(t transport, ctx event.Batch, enabled bool) *sender {
	return &sender{
		transport: t,
		context:   ctx,
		now:       time.Now,
		after:     func(d int64, f func()) { time.AfterFunc(time.Duration(d), f) },
		enabled:   enabled,
	}
}

// SetEnabled turns recording on or off (consent). Events recorded while
// off are dropped, not kept for later.
func (s *sender) SetEnabled(on bool) {
	s.mu.Lock()
	s.enabled = on
	s.mu.Unlock()
}

// SetPath follows the host page of a single-page app to its new path.
func (s *sender) SetPath(path string) {
	s.mu.Lock()
	s.context.Page.Path = path
	s.mu.Unlock()
}

// Record queues one event with id; it never blocks on the network. An
// event without an id (a view id that is not a UUIDv7) is dropped: the
// server would refuse its whole batch.
func (s *sender) Record(id string, t event.Type, d event.Data) {
	s.mu.Lock()
	// The sender unlocks by hand rather than with defer: nothing here
	// panics, and each deferred call is a wrapper function in app.wasm.
	if !s.enabled || id == "" {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, event.Event{ID: id, Type: t, At: s.now().UTC(), Data: d})
	if over := len(s.queue) - queueEvents; over > 0 {
		s.queue = append(s.queue[:0], s.queue[over:]...)
		s.Dropped += over
	}
	switch {
	case len(s.queue) >= batchEvents && !s.inFlight && s.failures == 0:
		s.sendLocked()
	case !s.timer:
		s.timer = true
		s.after(int64(batchDelay), s.flush)
	}
	s.mu.Unlock()
}

// flush sends what is queued (the timer's and the retry's entry point).
func (s *sender) flush() {
	s.mu.Lock()
	s.timer = false
	if !s.inFlight && len(s.queue) > 0 {
		s.sendLocked()
	}
	s.mu.Unlock()
}

// sendLocked posts up to batchEvents queued events in the background. The
// caller holds s.mu.
func (s *sender) sendLocked() {
	n := min(len(s.queue), batchEvents)
	events := append([]event.Event(nil), s.queue[:n]...)
	body, err := s.encode(events)
	if err != nil {
		s.queue = s.queue[n:]
		return
	}
	s.inFlight = true
	go func() {
		status, retryAfter := s.transport.Post(body)
		s.settle(events, status, time.Duration(retryAfter)*time.Second)
	}()
}

// settle takes a send's answer: the events leave the queue when the server
// has them (202) or will never take them (another 4xx: retrying cannot
// help); otherwise the sender backs off and tries again.
func (s *sender) settle(sent []event.Event, status int, retryAfter time.Duration) {
	s.mu.Lock()
	s.inFlight = false
	retry := status == 0 || status == 429 || status >= 500
	if !retry {
		s.failures = 0
		s.queue = dropSent(s.queue, sent)
		if len(s.queue) >= batchEvents {
			s.sendLocked()
		} else if len(s.queue) > 0 && !s.timer {
			s.timer = true
			s.after(int64(batchDelay), s.flush)
		}
		s.mu.Unlock()
		return
	}
	s.failures++
	wait := backoff(s.failures)
	if retryAfter > wait {
		wait = retryAfter
	}
	s.timer = true
	s.after(int64(wait), s.flush)
	s.mu.Unlock()
}

// dropSent removes the events of a delivered batch, which are at the head
// of the queue unless the queue overflowed meanwhile.
func dropSent(queue, sent []event.Event) []event.Event {
	ids := make(map[string]bool, len(sent))
	for _, e := range sent {
		ids[e.ID] = true
	}
	out := queue[:0]
	for _, e := range queue {
		if !ids[e.ID] {
			out = append(out, e)
		}
	}
	return out
}

// backoff is 1 s doubled per failure, capped at a minute, with full jitter
// so a server coming back is not hit by every widget at once.
func backoff(failures int) time.Duration {
	d := time.Second << min(failures-1, 6)
	d = min(d, maxBackoff)
	return d/2 + time.Duration(jitter(uint64(d/2)+1))
}

// jitter returns a random number in [0, n). It reads crypto/rand the way
// the UUIDs do (io.ReadFull of rand.Reader), which app.wasm links anyway,
// rather than linking math/rand/v2 or rand.Read too; the modulo's bias is
// nothing next to a backoff's nanoseconds.
func jitter(n uint64) uint64 {
	var b [8]byte
	_, _ = io.ReadFull(rand.Reader, b[:]) // crypto/rand's Reader never fails
	return binary.LittleEndian.Uint64(b[:]) % n
}

// FlushBeacon hands everything queued to the browser as beacons: the page
// is being hidden or closed, and fetches may not finish. Events in a fetch
// still in flight are sent again; the server keeps each once.
func (s *sender) FlushBeacon() {
	s.mu.Lock()
	for len(s.queue) > 0 {
		n := min(len(s.queue), event.MaxEvents)
		body, err := s.encode(s.queue[:n])
		if err != nil || !s.transport.Beacon(body) {
			break // keep them: the next fetch may still deliver them
		}
		s.queue = s.queue[n:]
	}
	s.mu.Unlock()
}

func (s *sender) encode(events []event.Event) ([]byte, error) {
	b := s.context
	b.Events = events
	return json.Marshal(&b)
}
