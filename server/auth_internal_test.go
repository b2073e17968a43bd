package server

import (
	"strconv"
	"testing"
	"time"
)

// TestFailureBudgetsWhenFull: with the set of budgets full, an address
// spent is still refused, an address never seen may try while the shared
// overflow has failures to spend, and once addresses without a budget of
// their own have spent the overflow, a fresh address is refused too: a
// full set must not let every new address's guesses through. Once the
// idle budgets are dropped, a fresh address has its own again.
func TestFailureBudgetsWhenFull(t *testing.T) {
	l := newAuthFailures(2)
	now := time.Now()
	for _, key := range []string{"198.51.100.1", "198.51.100.2"} { // fill the set
		for range authFailureBurst + 1 {
			l.Allow(key, now)
		}
	}
	if wait := l.waitAt("198.51.100.1", now); wait <= 0 || wait > authFailureEvery {
		t.Errorf("a spent address waits %s, want up to %s", wait, authFailureEvery)
	}
	if wait := l.waitAt("198.51.100.9", now); wait != 0 {
		t.Errorf("an address never seen waits %s with the set full and the overflow unspent, want 0", wait)
	}
	// Fresh addresses fail, each past the gate while it lets them.
	for i := range authFailureBurst {
		key := "203.0.113." + strconv.Itoa(i+1)
		if wait := l.waitAt(key, now); wait != 0 {
			t.Fatalf("fresh address %d waits %s before the overflow is spent", i+1, wait)
		}
		if ok, _ := l.Allow(key, now); !ok {
			t.Fatalf("fresh address %d's failure refused before the overflow is spent", i+1)
		}
	}
	if wait := l.waitAt("203.0.113.200", now); wait <= 0 || wait > authFailureEvery {
		t.Errorf("a fresh address with the set full and the overflow spent waits %s, want up to %s", wait, authFailureEvery)
	}
	// Later, the idle budgets are dropped: a fresh address has room again.
	later := now.Add(time.Duration(authFailureBurst+2) * authFailureEvery)
	if wait := l.waitAt("203.0.113.201", later); wait != 0 {
		t.Errorf("a fresh address once the idle budgets are dropped waits %s, want 0", wait)
	}
}

// TestEarlierSessionsAndLinksRefused: cookies and links of the form before
// sessions named a credential are refused, well signed as they are:
// nothing says whether the token they were made with still holds.
func TestEarlierSessionsAndLinksRefused(t *testing.T) {
	ss := newSessions("a key")
	now := time.Now()
	exp := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	if _, ok := ss.parse(ss.seal("session", "v1|partner|acme|"+exp), now); ok {
		t.Error("a session cookie of the earlier form is accepted")
	}
	if _, err := ss.verifyShareToken(ss.seal("share", "l1|acme|"+exp), now); err == nil {
		t.Error("a sign-in link of the earlier form is accepted")
	}
	// The current forms, made the same way, are.
	sess := newSession(viewer{partner: "acme"}, kindPartner, now.Add(time.Hour), "digest")
	if got, ok := ss.parse(ss.issue(sess), now); !ok || got.id != sess.id || got.credential != "digest" || got.partner != "acme" {
		t.Errorf("a session cookie of the current form: %+v %v", got, ok)
	}
	if _, err := ss.verifyShareToken(ss.shareToken("acme", now.Add(time.Hour), "digest"), now); err != nil {
		t.Errorf("a sign-in link of the current form: %v", err)
	}
}
