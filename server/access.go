package server

import (
	"crypto/hmac"
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

// viewerOf identifies the request by its bearer token (the API) or its
// session cookie (the dashboard). Tokens are compared in constant time and
// never logged.
func (s *Server) viewerOf(r *http.Request) (viewer, bool) {
	if t := bearerToken(r); t != "" {
		return s.viewerOfToken(t)
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return s.sessions.verify(c.Value, s.now())
	}
	return viewer{}, false
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

// issue returns a cookie value for v that expires after the session's ttl.
func (ss *sessions) issue(v viewer, now time.Time) string {
	role := "partner"
	if v.admin {
		role = "admin"
	}
	return ss.seal("session", "v1|"+role+"|"+v.partner+"|"+strconv.FormatInt(now.Add(ss.ttl).Unix(), 10))
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

// verify checks a cookie value's signature and expiry.
func (ss *sessions) verify(value string, now time.Time) (viewer, bool) {
	parts, ok := ss.open("session", value)
	if !ok || len(parts) != 4 || parts[0] != "v1" {
		return viewer{}, false
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || now.Unix() > exp {
		return viewer{}, false
	}
	switch parts[1] {
	case "admin":
		return viewer{admin: true}, true
	case "partner":
		return viewer{partner: parts[2]}, parts[2] != ""
	}
	return viewer{}, false
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
