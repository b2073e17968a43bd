package main

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/store/sqlite"
)

// The durable floor, for make bench only: a store whose Write stores
// nothing and only appends a byte to a file and fdatasyncs it, once per
// group commit, then calls every event accepted.
// Run behind the same server and load as the real store, it shows what a
// durable group commit alone costs on the machine, which the ingest ratio's
// budget has to be read against. Everything but Write is an SQLite store
// on the same path, so the server starts and serves as usual.

// openFloorStore opens the floor store on path ("-db floor:path").
func openFloorStore(ctx context.Context, path string) (store.Store, error) {
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path+".floor", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.Close()
		return nil, err
	}
	return &floorStore{Store: s, f: f}, nil
}

type floorStore struct {
	store.Store
	mu sync.Mutex
	f  *os.File
}

func (s *floorStore) Write(ctx context.Context, batches []store.Batch) ([]store.Receipt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write([]byte{'.'}); err != nil {
		return nil, err
	}
	if err := syscall.Fdatasync(int(s.f.Fd())); err != nil {
		return nil, err
	}
	receipts := make([]store.Receipt, len(batches))
	for i := range batches {
		receipts[i].Accepted = len(batches[i].Events)
	}
	return receipts, nil
}

func (s *floorStore) Close() error {
	return errors.Join(s.f.Close(), s.Store.Close())
}
