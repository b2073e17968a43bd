package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/widget/event"
)

// TestEventIDBytes checks that exactly the canonical lowercase UUIDs are
// stored as 16 bytes, and come back unchanged.
func TestEventIDBytes(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"0193c5a2-7b1c-7d3e-8f4a-1b2c3d4e5f60", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", true},
		{uuid.Must(uuid.NewV7()).String(), true},
		{"0193C5A2-7B1C-7D3E-8F4A-1B2C3D4E5F60", false},  // upper case
		{"0193c5a2-7b1c-7d3e-8f4a-1b2c3d4e5f6", false},   // short
		{"0193c5a2-7b1c-7d3e-8f4a-1b2c3d4e5f600", false}, // long
		{"0193c5a27-b1c-7d3e-8f4a-1b2c3d4e5f60", false},  // a dash moved
		{"0193c5a2-7b1c-7d3e-8f4a-1b2c3d4e5f6g", false},  // not hex
		{"{193c5a2-7b1c-7d3e-8f4a-1b2c3d4e5f6}", false},
		{"", false},
	} {
		b, err := appendIDBytes([]byte("x"), tt.id)
		if !tt.ok {
			if err == nil {
				t.Errorf("appendIDBytes(%q) = %x, want an error", tt.id, b)
			}
			continue
		}
		if err != nil || len(b) != 1+idLen {
			t.Errorf("appendIDBytes(%q) = %x, %v; want 16 bytes after the x", tt.id, b, err)
			continue
		}
		if got, err := idText(b[1:]); got != tt.id || err != nil {
			t.Errorf("idText(appendIDBytes(%q)) = %q, %v", tt.id, got, err)
		}
	}
	if _, err := idText(make([]byte, 15)); err == nil {
		t.Error("idText accepted 15 bytes")
	}
}

// TestWriteRefusesOtherIDs checks that a write with an event id the store
// cannot keep as 16 bytes stores nothing and says why. Ingest never sends
// one: it admits only UUIDv7s (event.ValidUUIDv7).
func TestWriteRefusesOtherIDs(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	good := views(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2)
	bad := views(good.ReceivedAt, 1)
	bad.Events[0].ID = "0193C5A2-7B1C-7D3E-8F4A-1B2C3D4E5F60"
	if _, err := s.Write(ctx, []store.Batch{good, bad}); err == nil {
		t.Fatal("Write stored an upper-case event id")
	}
	got, err := s.Events(ctx, store.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("a refused write stored %d events", len(got))
	}
}

// TestWriteKeepsOnlyUsedBatches checks that a write leaves a row in
// batches only for the batches it stored an event of: not for an empty
// batch, a batch repeated within the call, or one sent again later.
func TestWriteKeepsOnlyUsedBatches(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	a, b := views(day, 2), views(day, 1)
	mixed := views(day, 1)
	mixed.Events = append(mixed.Events, a.Events[0]) // one new, one stored before
	for _, w := range []struct {
		batches []store.Batch
		want    []store.Receipt
	}{
		{[]store.Batch{a, {}, a}, []store.Receipt{{Accepted: 2}, {}, {Duplicates: 2}}},
		{[]store.Batch{a, b, a}, []store.Receipt{{Duplicates: 2}, {Accepted: 1}, {Duplicates: 2}}},
		{[]store.Batch{mixed, {Batch: event.Batch{Partner: "acme"}}}, []store.Receipt{{Accepted: 1, Duplicates: 1}, {}}},
	} {
		got, err := s.Write(ctx, w.batches)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w.want, got); diff != "" {
			t.Errorf("receipts (-want +got):\n%s", diff)
		}
		checkBatches(t, s)
	}
	if n := len(ids(t, s, `SELECT id FROM batches`)); n != 3 {
		t.Errorf("%d batches stored, want 3: a, b and mixed", n)
	}
}
