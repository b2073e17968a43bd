package server

import (
	"sync/atomic"
	"time"
)

// Hooks for the dashboard's tests in package server_test.

// SetTestClock makes s read the time from the returned clock, which starts
// at the real time and moves only when the test moves it. Call it before
// s serves a request.
func SetTestClock(s *Server) *Clock {
	c := &Clock{}
	s.now = c.Now
	return c
}

// Clock is a server's clock as a test moves it.
type Clock struct{ skew atomic.Int64 }

// Now is the time the server reads.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.skew.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.skew.Add(int64(d)) }

// ShareLink returns the token of a sign-in link for partner that expires at
// expires, signed as the dashboard signs one, naming the credentials that
// hold now; the partner need not exist.
func ShareLink(s *Server, partner string, expires time.Time) string {
	credential, _ := s.credentialOf(kindLink, partner)
	return s.sessions.shareToken(partner, expires, credential)
}

// The throttle of failed authentications: how many a client may make in a
// row, and then one every AuthFailureEvery.
const (
	AuthFailureBurst = authFailureBurst
	AuthFailureEvery = authFailureEvery
)
