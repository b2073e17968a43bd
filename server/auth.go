package server

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// bearerToken returns the token of an "Authorization: Bearer …" header.
func bearerToken(r *http.Request) string {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// isAdminToken reports whether t is the admin token, compared in constant
// time. With no admin token configured, nobody is admin.
func (s *Server) isAdminToken(t string) bool {
	return s.cfg.AdminToken != "" && t != "" &&
		subtle.ConstantTimeCompare([]byte(t), []byte(s.cfg.AdminToken)) == 1
}

// requireAdmin lets only requests with the admin token through, under
// the failure throttle.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := error(errAdminOnly)
		if t := bearerToken(r); t != "" {
			key, gated := s.authGate(r)
			switch {
			case gated != nil:
				err = gated
			case s.isAdminToken(t):
				next.ServeHTTP(w, r)
				return
			default:
				if failed := s.authFailed(key); failed != nil {
					err = failed
				}
			}
		}
		s.writeAuthError(w, r, err)
	})
}

var errAdminOnly = Errorf(EUnauthorized, "this needs the admin token (Authorization: Bearer …)")

// Failed authentication is throttled per client address: a wrong bearer
// token (the API, /metrics), a wrong access token or a bad sign-in link
// at the dashboard's sign-in. Only failures spend the budget, so a client
// using a right token is never slowed however often it asks; a client that
// has spent it is refused with 429 before its credential is even checked,
// until the budget has a failure to spend again, or a guesser would learn
// from a 429 or a 200 all the same. authFailureBurst failures in a row are
// allowed (someone mistyping), then one every authFailureEvery: some ten
// guesses a minute an address, where the server checked 1,300 a second.
// Session cookies are not throttled: they are signed, not guessed.
const (
	authFailureBurst = 10
	authFailureEvery = 6 * time.Second
)

// newAuthFailures returns the failure budgets: server/ratelimit.go's
// limiters, whose bursts are twice the rate, given a burst of their own.
func newAuthFailures(max int) *limiters {
	l := newLimiters(1/authFailureEvery.Seconds(), max)
	l.burst = authFailureBurst
	l.overflow = rate.NewLimiter(l.rate, l.burst)
	return l
}

// waitAt reports how long key must wait at now for its next token,
// without taking it: 0 when it has one. A key without a bucket has a
// full one while the set has room for it; once the set is full (after
// dropping idle buckets), its failures would go to the shared overflow
// bucket, so it waits as the overflow does: otherwise, with the set
// full, every new address's guesses would reach the credential check
// unthrottled. Addresses already holding a budget are not affected.
func (l *limiters) waitAt(key string, now time.Time) time.Duration {
	if l.rate == rate.Inf {
		return 0
	}
	l.mu.Lock()
	lim := l.overflow
	if b, ok := l.buckets[key]; ok {
		lim = b.limiter
	} else {
		l.sweep(now)
		if len(l.buckets) < l.max {
			lim = nil
		}
	}
	l.mu.Unlock()
	if lim == nil {
		return 0
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - tokens) / float64(l.rate) * float64(time.Second)))
}

// tooManyFailures refuses a client address that failed to authenticate
// too often lately: answered 429 with Retry-After.
type tooManyFailures struct{ wait time.Duration }

func (e *tooManyFailures) Error() string {
	return fmt.Sprintf("too many failed sign-ins or tokens from this address; retry in %s s", e.retryAfter())
}

// retryAfter is the Retry-After header's value: whole seconds, at least 1.
func (e *tooManyFailures) retryAfter() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.wait.Seconds()))))
}

// authClient is the key a client's failures are counted under: the same
// as the per-client rate limit's (clientKey), an IPv6 address by its /64,
// which one host or one customer commonly holds whole.
func (s *Server) authClient(r *http.Request) string {
	return clientKey(clientIP(r, s.cfg.TrustedProxies))
}

// authGate is asked before a credential a client presents is checked: it
// refuses a client that has spent its failures with a *tooManyFailures,
// and otherwise returns the client's key for authFailed.
func (s *Server) authGate(r *http.Request) (string, error) {
	key := s.authClient(r)
	if wait := s.authFailures.waitAt(key, s.now()); wait > 0 {
		return key, &tooManyFailures{wait}
	}
	return key, nil
}

// authFailed spends one of key's failures. It returns a *tooManyFailures
// when none was left (attempts that passed the gate together).
func (s *Server) authFailed(key string) error {
	if ok, wait := s.authFailures.Allow(key, s.now()); !ok {
		return &tooManyFailures{wait}
	}
	return nil
}

// writeAuthError answers a request refused for its credential: 429 with
// Retry-After for a client over its failures, 401 with WWW-Authenticate
// for a credential missing or wrong, and any other error (the store's) as
// writeError does.
func (s *Server) writeAuthError(w http.ResponseWriter, r *http.Request, err error) {
	if tm, ok := errors.AsType[*tooManyFailures](err); ok {
		w.Header().Set("Retry-After", tm.retryAfter())
		s.writeError(w, r, Errorf(ERateLimited, "%s", tm.Error()))
		return
	}
	if e, ok := errors.AsType[*Error](err); ok && e.Code == EUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="forgefit"`)
	}
	s.writeError(w, r, err)
}
