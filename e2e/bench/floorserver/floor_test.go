package main

import (
	"github.com/ehforge/forgefit/store"
	"os"
	"path/filepath"
	"testing"

	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/go-cmp/cmp"
)

// TestFloorStoreSyncsOncePerWriteAndStoresNothing checks what the bench's
// ingest figures on the floor rely on: "-db floor:PATH" opens the floor
// store, each Write appends one byte to PATH.floor (and fdatasyncs it) and
// calls every event accepted, and nothing reaches the SQLite store beside.
func TestFloorStoreSyncsOncePerWriteAndStoresNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := openStore(t.Context(), "floor:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*floorStore); !ok {
		t.Fatalf("-db floor: opened a %T, want the floor store", s)
	}
	batch := func(n int) store.Batch {
		return store.Batch{Batch: event.Batch{Partner: "demo", Widget: "co-managed-vs-fully-managed", Events: make([]event.Event, n)}}
	}
	var got []store.Receipt
	for _, batches := range [][]store.Batch{{batch(1), batch(3)}, {batch(20)}} {
		r, err := s.Write(t.Context(), batches)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r...)
	}
	if diff := cmp.Diff([]store.Receipt{{Accepted: 1}, {Accepted: 3}, {Accepted: 20}}, got); diff != "" {
		t.Errorf("receipts (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(path + ".floor"); err != nil || string(b) != ".." {
		t.Errorf("%s.floor holds %q (%v), want a byte per Write", path, b, err)
	}
	events, err := s.Events(t.Context(), store.EventQuery{})
	if err != nil || len(events) != 0 {
		t.Errorf("the floor stored events: %d (%v)", len(events), err)
	}
}

// TestOtherStoresAreTheProducts checks that any other -db goes to the
// product's opener.
func TestOtherStoresAreTheProducts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "forgefit.db")
	s, err := openStore(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*floorStore); ok {
		t.Error("a file path opened the floor store")
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no SQLite file at %s: %v", path, err)
	}
}
