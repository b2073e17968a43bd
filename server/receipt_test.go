package server

import (
	"encoding/json"
	"testing"

	"github.com/ehforge/forgefit/store"
)

// TestAppendReceipt checks the hand-written 202 body against what
// encoding/json makes of a Receipt.
func TestAppendReceipt(t *testing.T) {
	for _, r := range []store.Receipt{{}, {Accepted: 1}, {Accepted: 20, Duplicates: 30}, {Duplicates: 50}} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendReceipt(nil, r)); got != string(want)+"\n" {
			t.Errorf("appendReceipt(%+v) = %q, want %q", r, got, string(want)+"\n")
		}
	}
}
