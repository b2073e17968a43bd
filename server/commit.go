package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ehforge/forgefit/store"
)

// Group commit. Every ingest request hands its batch to one committer
// goroutine through a bounded queue and waits. The committer takes
// everything queued at that moment and stores it in one transaction, so a
// durable commit (an fsync) is paid once for many requests, and each
// request is answered only after the commit holding its events.

// errQueueFull and errDraining make ingest answer 503 with Retry-After.
var (
	errQueueFull = errors.New("ingest queue is full")
	errDraining  = errors.New("server is shutting down")
)

// pendingBatch is one request's batch waiting for its commit.
type pendingBatch struct {
	batch store.Batch
	done  chan commitResult // buffered: the committer never blocks on it
}

type commitResult struct {
	receipt store.Receipt
	err     error
}

// committer owns the queue and the goroutine that drains it.
type committer struct {
	store     store.Store
	queue     chan *pendingBatch
	maxEvents int // events per transaction, so one commit stays short
	metrics   *metrics
	health    writeHealth

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	done   chan struct{}
}

func newCommitter(store store.Store, queueLen, maxEvents int, m *metrics) *committer {
	c := &committer{
		store:     store,
		queue:     make(chan *pendingBatch, queueLen),
		maxEvents: maxEvents,
		metrics:   m,
		done:      make(chan struct{}),
	}
	go c.run()
	return c
}

// Submit queues b and waits for its commit. It fails at once when the queue
// is full or the committer is closing; a caller that gives up (ctx done)
// leaves the batch to be committed anyway, since it is already queued.
func (c *committer) Submit(ctx context.Context, b store.Batch) (store.Receipt, error) {
	p := &pendingBatch{batch: b, done: make(chan commitResult, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return store.Receipt{}, errDraining
	}
	select {
	case c.queue <- p:
		c.metrics.queueDepth.Set(float64(len(c.queue)))
	default:
		c.mu.RUnlock()
		return store.Receipt{}, errQueueFull
	}
	c.mu.RUnlock()
	select {
	case r := <-p.done:
		return r.receipt, r.err
	case <-ctx.Done():
		return store.Receipt{}, ctx.Err()
	}
}

// Close stops taking batches, commits everything already queued, and
// returns when that is done or ctx ends.
func (c *committer) Close(ctx context.Context) error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *committer) run() {
	defer close(c.done)
	group := make([]*pendingBatch, 0, 256)
	for first := range c.queue {
		group = append(group[:0], first)
		events := len(first.batch.Events)
	take:
		for events < c.maxEvents {
			select {
			case p, ok := <-c.queue:
				if !ok {
					break take
				}
				group = append(group, p)
				events += len(p.batch.Events)
			default:
				break take
			}
		}
		c.metrics.queueDepth.Set(float64(len(c.queue)))
		c.commit(group)
	}
}

// commit writes one group and answers each of its requests.
func (c *committer) commit(group []*pendingBatch) {
	batches := make([]store.Batch, len(group))
	for i, p := range group {
		batches[i] = p.batch
	}
	// A commit is never cancelled half-way by a request going away: the
	// store decides, and the answer reaches whoever still waits.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	start := time.Now()
	receipts, err := c.store.Write(ctx, batches)
	cancel()
	c.metrics.commitSeconds.Observe(time.Since(start).Seconds())
	if err == nil && len(receipts) != len(group) {
		err = errors.New("store returned a receipt count that differs from the batch count")
	}
	c.health.record(err)
	for i, p := range group {
		if err != nil {
			p.done <- commitResult{err: err}
			continue
		}
		c.metrics.accepted.Add(float64(receipts[i].Accepted))
		c.metrics.duplicates.Add(float64(receipts[i].Duplicates))
		p.done <- commitResult{receipt: receipts[i]}
	}
}

// probeEvery spaces write probes: a balancer checking every second, or
// several at once, costs a probe a second at most.
const probeEvery = time.Second

// writeHealth is the outcome of the last store write, a commit's or a
// probe's, for readiness: a server whose writes fail answers /readyz 503
// until one succeeds, rather than 200 while every event is refused.
type writeHealth struct {
	mu     sync.Mutex
	err    error     // the last write's; nil when it succeeded
	seq    uint64    // writes recorded, so a probe never hides a later commit
	probed time.Time // when the last probe started

	probing sync.Mutex // one probe at a time
}

// record notes the outcome of a write.
func (h *writeHealth) record(err error) {
	h.mu.Lock()
	h.err = err
	h.seq++
	h.mu.Unlock()
}

// failing returns the error of the last write, if it failed.
func (h *writeHealth) failing() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// WriteError returns nil when the last store write succeeded (or there was
// none yet), else its error. While it fails and store is a WriteProber,
// it probes first, at most once every probeEvery and one probe at a time;
// a probe's success counts only when no commit finished during it.
func (c *committer) WriteError(ctx context.Context, now time.Time) error {
	err := c.health.failing()
	prober, ok := c.store.(store.WriteProber)
	if err == nil || !ok || !c.health.probing.TryLock() {
		return err
	}
	defer c.health.probing.Unlock()
	c.health.mu.Lock()
	due := now.Sub(c.health.probed) >= probeEvery
	if due {
		c.health.probed = now
	}
	seq := c.health.seq
	c.health.mu.Unlock()
	if !due {
		return err
	}
	perr := prober.ProbeWrite(ctx)
	c.health.mu.Lock()
	defer c.health.mu.Unlock()
	if c.health.seq == seq { // no commit finished meanwhile: the probe is the last write
		if perr != nil {
			perr = fmt.Errorf("write probe: %w", perr)
		}
		c.health.err = perr
		c.health.seq++
	}
	return c.health.err
}
