package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// viewer is who is asking for figures: the admin, who sees every partner,
// or one partner, who sees only its own.
type viewer struct {
	admin   bool
	partner string
}

// canSee reports whether v may read partner's figures ("" is all).
func (v viewer) canSee(partner string) bool {
	return v.admin || (partner != "" && partner == v.partner)
}

// errNoCredential is the refusal of a request with no credential, or one
// that does not hold: answered 401.
var errNoCredential = Errorf(EUnauthorized, "send the admin token or your partner token as Authorization: Bearer …")

// viewerOf identifies the request as identify does, for pages that show
// the sign-in page to whoever is not identified: ok is false for any
// refusal, the store's failing included (identify logs it).
func (s *Server) viewerOf(r *http.Request) (viewer, bool) {
	v, err := s.identify(r)
	return v, err == nil
}

// errSessionCheck refuses a request whose session could not be checked
// because the store failed: answered 503, as the client may retry.
var errSessionCheck = Errorf(EUnavailable, "the session could not be checked just now; retry shortly")

// identify identifies the request by its bearer token (the API) or its
// session cookie (the dashboard). Tokens are compared in constant time,
// never logged, and checked under the failure throttle (see authGate).
// The error is errNoCredential, a *tooManyFailures, or errSessionCheck
// when the store failed (logged here).
func (s *Server) identify(r *http.Request) (viewer, error) {
	if t := bearerToken(r); t != "" {
		key, err := s.authGate(r)
		if err != nil {
			return viewer{}, err
		}
		if v, ok := s.viewerOfToken(t); ok {
			return v, nil
		}
		if err := s.authFailed(key); err != nil {
			return viewer{}, err
		}
		return viewer{}, errNoCredential
	}
	sess, ok, err := s.sessionOf(r)
	if err != nil {
		s.log.ErrorContext(r.Context(), "checking a dashboard session failed", "err", err)
		return viewer{}, errSessionCheck
	}
	if !ok {
		return viewer{}, errNoCredential
	}
	return sess.viewer, nil
}

// viewerOfToken checks a token against the admin token and every partner's
// token hash.
func (s *Server) viewerOfToken(t string) (viewer, bool) {
	if s.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.cfg.AdminToken)) == 1 {
		return viewer{admin: true}, true
	}
	sum := TokenHash(t)
	found := viewer{}
	ok := false
	ps := s.partners.Load()
	for _, id := range ps.IDs() {
		p, _ := ps.Partner(id)
		if p.TokenSHA256 != "" && subtle.ConstantTimeCompare([]byte(sum), []byte(strings.ToLower(p.TokenSHA256))) == 1 {
			found, ok = viewer{partner: p.ID}, true
		}
	}
	return found, ok
}

// How a session began, which says what credential it must name: the
// admin token, a partner's token, or a sign-in link (see credentialOf).
const (
	kindAdmin   = "admin"
	kindPartner = "partner"
	kindLink    = "link"
)

// credentialOf returns the digest that a session or sign-in link of kind
// for partner names when the credential it was made with still holds:
// the admin token for the admin's sessions; the partner's token hash for
// its token's sessions; for a sign-in link and its sessions, both the
// partner's token hash and the admin token that made the link. Changing
// either (and reloading the partners file), or removing the partner,
// changes or ends the credential, and every session and link that names
// the old one is refused at its next request. ok is false when there is
// no such credential.
func (s *Server) credentialOf(kind, partner string) (string, bool) {
	admin := s.cfg.AdminToken
	if kind == kindAdmin {
		return s.sessions.credential(kindAdmin, admin), admin != ""
	}
	p, ok := s.partners.Load().Partner(partner)
	if !ok {
		return "", false
	}
	hash := strings.ToLower(p.TokenSHA256)
	switch kind {
	case kindPartner:
		return s.sessions.credential(kindPartner, p.ID, hash), hash != ""
	case kindLink:
		return s.sessions.credential(kindLink, p.ID, hash, admin), admin != ""
	}
	return "", false
}

// sessionOf returns the request's dashboard session if its cookie is
// signed by us, unexpired, names a credential that still holds, and was
// not signed out (the store says, for every server sharing it), checked in
// that order, the store last: only requests with a well-signed session
// cookie ask it. ok is false for any refusal; the error is the store's.
func (s *Server) sessionOf(r *http.Request) (session, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false, nil
	}
	sess, ok := s.sessions.parse(c.Value, s.now())
	if !ok {
		return session{}, false, nil
	}
	want, ok := s.credentialOf(sess.kind, sess.partner)
	if !ok || !hmac.Equal([]byte(sess.credential), []byte(want)) {
		return session{}, false, nil
	}
	ended, err := s.cfg.Store.SessionEnded(r.Context(), sess.id)
	if err != nil {
		return session{}, false, err
	}
	return sess, !ended, nil
}

// endSession records that the session of cookie value was signed out, so
// that its cookie, copied, opens nothing on any server sharing the store.
// A value that is no session (unsigned, expired) needs no record.
func (s *Server) endSession(ctx context.Context, value string) error {
	sess, ok := s.sessions.parse(value, s.now())
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return s.cfg.Store.EndSession(ctx, sess.id, sess.expires)
}

// sessions signs and checks dashboard session cookies. The key comes from
// -session-key or the admin token, so every server sharing a database
// accepts the others' sessions.
type sessions struct {
	key []byte
	ttl time.Duration
}

const sessionCookie = "forgefit_session"

func newSessions(secret string) *sessions {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("forgefit dashboard session key v1"))
	return &sessions{key: mac.Sum(nil), ttl: 12 * time.Hour}
}

// session is a dashboard session as its cookie holds it: who, how it
// began, its id (what sign-out records), its expiry, and the digest of the
// credential it was made with (see credentialOf).
type session struct {
	viewer
	kind       string
	id         string
	expires    time.Time
	credential string
}

// sessionIDLen is the length of a session id: 16 random bytes, base64url.
const sessionIDLen = 22

// newSession returns a new session of kind for v, with a new random id,
// that expires at expires and names credential.
func newSession(v viewer, kind string, expires time.Time, credential string) session {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return session{viewer: v, kind: kind, id: base64.RawURLEncoding.EncodeToString(b), expires: expires, credential: credential}
}

// issue returns the cookie value of sess.
func (ss *sessions) issue(sess session) string {
	return ss.seal("session", strings.Join([]string{
		"s2", sess.kind, sess.partner, strconv.FormatInt(sess.expires.Unix(), 10), sess.id, sess.credential,
	}, "|"))
}

// parse checks a cookie value's signature, form and expiry, and returns
// its session; whether the session's credential still holds and whether
// it was signed out are the server's to check (sessionOf). Cookies of an
// earlier form, which name no credential, are refused.
func (ss *sessions) parse(value string, now time.Time) (session, bool) {
	parts, ok := ss.open("session", value)
	if !ok || len(parts) != 6 || parts[0] != "s2" || len(parts[4]) != sessionIDLen {
		return session{}, false
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || now.Unix() > exp {
		return session{}, false
	}
	sess := session{kind: parts[1], id: parts[4], expires: time.Unix(exp, 0).UTC(), credential: parts[5]}
	switch sess.kind {
	case kindAdmin:
		sess.admin = true
		return sess, parts[2] == ""
	case kindPartner, kindLink:
		sess.partner = parts[2]
		return sess, sess.partner != ""
	}
	return session{}, false
}

// credential returns the digest of a credential's parts that sessions and
// links carry: keyed, so a cookie, which anyone holding it can read,
// tells nothing about the token behind it.
func (ss *sessions) credential(parts ...string) string {
	return ss.sign("credential|" + strings.Join(parts, "\x00"))[:32]
}

// seal returns payload, readable but signed for one purpose ("session",
// "share"): a token of one purpose never opens as another's.
func (ss *sessions) seal(purpose, payload string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + ss.sign(purpose+"|"+payload)
}

// open checks a sealed token's signature for purpose and returns its
// payload's "|"-separated fields; nothing in an unsigned token is read.
func (ss *sessions) open(purpose, token string) ([]string, bool) {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, false
	}
	payload := string(b)
	if !hmac.Equal([]byte(sig), []byte(ss.sign(purpose+"|"+payload))) {
		return nil, false
	}
	return strings.Split(payload, "|"), true
}

// csrf is the token a session's state-changing forms carry: bound to the
// session, so another site cannot know it.
func (ss *sessions) csrf(sessionValue string) string {
	return ss.sign("csrf|" + sessionValue)
}

func (ss *sessions) sign(s string) string {
	mac := hmac.New(sha256.New, ss.key)
	mac.Write([]byte(s))
	return hex.EncodeToString(mac.Sum(nil))
}
