package server

import (
	"strconv"
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
