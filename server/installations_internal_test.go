package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ehforge/forgefit/store"
)

// idleStore keeps no installation counts: the flushes of a test server's
// counters, every installFlushEvery, find nothing wrong with it.
func (idleStore) AddInstallCounts(context.Context, []store.InstallCount) error { return nil }

func (idleStore) InstallCounts(context.Context, store.InstallQuery) ([]store.InstallCount, error) {
	return nil, nil
}

// stuckStore's AddInstallCounts blocks, whatever its context says, until
// released: a store stuck in a flush.
type stuckStore struct {
	idleStore
	entered chan struct{}
	release chan struct{}
}

func (s stuckStore) AddInstallCounts(context.Context, []store.InstallCount) error {
	s.entered <- struct{}{}
	<-s.release
	return nil
}

// TestInstallCounterCloseGivesUp: with a flush stuck in the store, Close
// returns once its context has ended, with the context's error, instead
// of waiting for the flush (a stuck store must not hang the shutdown).
// The flush stuck is the ticker's (Close waited on it) and then, with a
// read's flush stuck, Close's own.
func TestInstallCounterCloseGivesUp(t *testing.T) {
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	now := time.Now()

	store := stuckStore{entered: make(chan struct{}), release: make(chan struct{})}
	c := newInstallCounter(store)
	c.served(now, "acme", "https://www.acme.com", "/it", "en", "1")
	c.start(time.Millisecond, func(error) {})
	<-store.entered // the ticker's flush is in the store
	if err := c.Close(expired); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with the ticker's flush stuck: %v, want context.Canceled", err)
	}
	close(store.release)

	store = stuckStore{entered: make(chan struct{}), release: make(chan struct{})}
	c = newInstallCounter(store)
	c.served(now, "acme", "https://www.acme.com", "/it", "en", "1")
	go c.Flush(context.Background()) // a read's flush
	<-store.entered
	c.served(now, "acme", "https://www.acme.com", "/it", "en", "1")
	if err := c.Close(expired); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a read's flush stuck: %v, want context.Canceled", err)
	}
	close(store.release)
}
