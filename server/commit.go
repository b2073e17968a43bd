package server

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Group commit. Every ingest request hands its batch to one committer
// goroutine through a bounded queue and waits. The committer takes
// everything queued at that moment and stores it in one transaction, so a
// durable commit (an fsync) is paid once for many requests, and each
// request is answered only after the commit holding its events.
//
// When the store is a DeferredSyncStore the fsync leaves the committer: a
// syncer goroutine makes every group committed so far durable with one
// Sync and answers them, while the committer already commits the next
// group. The store is written by one goroutine either way.

// errQueueFull and errDraining make ingest answer 503 with Retry-After.
var (
	errQueueFull = errors.New("ingest queue is full")
	errDraining  = errors.New("server is shutting down")
)

// pendingBatch is one request's batch waiting for its commit.
type pendingBatch struct {
	batch Batch
	done  chan commitResult // buffered: the committer never blocks on it
}

type commitResult struct {
	receipt Receipt
	err     error
}

// committer owns the queue and the goroutines that drain it.
type committer struct {
	store    Store
	deferred DeferredSyncStore // store, when its syncs can wait; else nil
	queue    chan *pendingBatch
	// committed carries groups committed by a DeferredSyncStore to the
	// syncer. Bounded: a syncer that falls behind holds the committer
	// back, and through it the queue (503s), rather than memory.
	committed chan committedGroup
	maxEvents int // events per transaction, so one commit stays short
	metrics   *metrics

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	done   chan struct{}
}

// committedGroup is a group whose commit waits for its sync.
type committedGroup struct {
	group    []*pendingBatch
	receipts []Receipt
}

func newCommitter(store Store, queueLen, maxEvents int, m *metrics) *committer {
	c := &committer{
		store:     store,
		queue:     make(chan *pendingBatch, queueLen),
		maxEvents: maxEvents,
		metrics:   m,
		done:      make(chan struct{}),
	}
	if d, ok := store.(DeferredSyncStore); ok {
		c.deferred = d
		c.committed = make(chan committedGroup, 64)
		synced := make(chan struct{})
		go c.sync(synced)
		go func() {
			c.run()
			close(c.committed)
			<-synced
			close(c.done)
		}()
		return c
	}
	go func() {
		c.run()
		close(c.done)
	}()
	return c
}

// Submit queues b and waits for its commit. It fails at once when the queue
// is full or the committer is closing; a caller that gives up (ctx done)
// leaves the batch to be committed anyway, since it is already queued.
func (c *committer) Submit(ctx context.Context, b Batch) (Receipt, error) {
	p := &pendingBatch{batch: b, done: make(chan commitResult, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return Receipt{}, errDraining
	}
	select {
	case c.queue <- p:
		c.metrics.queueDepth.Set(float64(len(c.queue)))
	default:
		c.mu.RUnlock()
		return Receipt{}, errQueueFull
	}
	c.mu.RUnlock()
	select {
	case r := <-p.done:
		return r.receipt, r.err
	case <-ctx.Done():
		return Receipt{}, ctx.Err()
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

// run takes groups off the queue and commits them until the queue is
// closed and empty.
func (c *committer) run() {
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

// commit writes one group and answers each of its requests, or, on a
// DeferredSyncStore, commits it and hands it to the syncer.
func (c *committer) commit(group []*pendingBatch) {
	batches := make([]Batch, len(group))
	for i, p := range group {
		batches[i] = p.batch
	}
	// A commit is never cancelled half-way by a request going away: the
	// store decides, and the answer reaches whoever still waits.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	var receipts []Receipt
	var err error
	if c.deferred != nil {
		receipts, err = c.deferred.Commit(ctx, batches)
	} else {
		receipts, err = c.store.Write(ctx, batches)
	}
	c.metrics.commitSeconds.Observe(time.Since(start).Seconds())
	if err == nil && len(receipts) != len(group) {
		err = errors.New("store returned a receipt count that differs from the batch count")
	}
	if err != nil || c.deferred == nil {
		c.answer(group, receipts, err)
		return
	}
	c.committed <- committedGroup{slices.Clone(group), receipts}
}

// sync makes committed groups durable and answers them: one Sync for
// every group committed by the time it starts.
func (c *committer) sync(done chan<- struct{}) {
	defer close(done)
	var waiting []committedGroup
	for first := range c.committed {
		waiting = append(waiting[:0], first)
	take:
		for {
			select {
			case g, ok := <-c.committed:
				if !ok {
					break take
				}
				waiting = append(waiting, g)
			default:
				break take
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		err := c.deferred.Sync(ctx)
		cancel()
		c.metrics.syncSeconds.Observe(time.Since(start).Seconds())
		for _, g := range waiting {
			c.answer(g.group, g.receipts, err)
		}
		clear(waiting) // hold on to no request until the next sync
	}
}

// answer tells each request of a group what became of its batch.
func (c *committer) answer(group []*pendingBatch, receipts []Receipt, err error) {
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
