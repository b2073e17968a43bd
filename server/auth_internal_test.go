package server

import (
	"testing"
	"time"
)

// TestFailureBudgetsWhenFull: with the set of budgets full and its
// shared overflow spent by failing addresses, an address spent is still
// refused, and an address never seen may still try: filling the set does
// not lock everyone out.
func TestFailureBudgetsWhenFull(t *testing.T) {
	l := newAuthFailures(2)
	now := time.Now()
	for _, key := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} { // the third overflows
		for range authFailureBurst + 1 {
			l.Allow(key, now)
		}
	}
	if wait := l.waitAt("198.51.100.1", now); wait <= 0 || wait > authFailureEvery {
		t.Errorf("a spent address waits %s, want up to %s", wait, authFailureEvery)
	}
	if wait := l.waitAt("198.51.100.9", now); wait != 0 {
		t.Errorf("an address never seen waits %s with the set full, want 0", wait)
	}
}
