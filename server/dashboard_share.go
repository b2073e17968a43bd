package server

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/ehforge/forgefit/widget/content"
)

// Sign-in links let a partner's marketer into the dashboard without a
// token: the admin creates one from the dashboard for one partner and
// sends it. A link is signed with the session key, so every server that
// shares the key accepts it and none keeps a list of links; it holds one
// partner id, an expiry and the digest of the credentials it was made
// under (the partner's token hash and the admin token: credentialOf). It
// is withdrawn, with the sessions it opened, by changing either (a new
// partner token, or a new admin token, which withdraws every link), by
// removing the partner, or by changing the session key, which also signs
// everyone out; lifetimes are short all the same.

// shareLinkDays are the lifetimes, in days, an admin may give a link.
var shareLinkDays = []int{7, 30, 90}

const (
	defaultShareDays = 30
	// maxShareToken bounds what verifyShareToken reads: a 64-byte partner
	// id makes a token of some 180 bytes.
	maxShareToken = 256
)

var (
	errShareInvalid = errors.New("sign-in link not valid")
	errShareExpired = errors.New("sign-in link expired")
)

// shareLink is what a valid link grants: one partner's figures until it
// expires.
type shareLink struct {
	partner    string
	expires    time.Time
	credential string // see credentialOf
}

// shareToken returns the signed token of a link for partner that expires
// at expires (to the second) and names credential. Its signature is
// domain-separated from the session's and the CSRF token's.
func (ss *sessions) shareToken(partner string, expires time.Time, credential string) string {
	return ss.seal("share", "l2|"+partner+"|"+strconv.FormatInt(expires.Unix(), 10)+"|"+credential)
}

// verifyShareToken checks a token's size, signature, form and expiry, in
// that order: nothing in an unsigned token is trusted. Links of an
// earlier form, which name no credential, are refused. Whether the
// credential still holds is the server's to check (shareLinkOf).
func (ss *sessions) verifyShareToken(token string, now time.Time) (shareLink, error) {
	if len(token) > maxShareToken {
		return shareLink{}, errShareInvalid
	}
	parts, ok := ss.open("share", token)
	if !ok || len(parts) != 4 || parts[0] != "l2" || !content.ValidID(parts[1]) {
		return shareLink{}, errShareInvalid
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return shareLink{}, errShareInvalid
	}
	expires := time.Unix(exp, 0).UTC()
	// A link never outlives the longest lifetime we give one: a signed
	// token that claims more was not made by this code.
	longest := time.Duration(slices.Max(shareLinkDays))*24*time.Hour + time.Hour
	if expires.After(now.Add(longest)) {
		return shareLink{}, errShareInvalid
	}
	if !now.Before(expires) {
		return shareLink{}, errShareExpired
	}
	return shareLink{partner: parts[1], expires: expires, credential: parts[3]}, nil
}

// shareLinkOf verifies a link's token, that its partner is still
// registered and that the credentials it names still hold; the error is
// one a marketer may read.
func (s *Server) shareLinkOf(token string) (shareLink, *Partner, error) {
	l, err := s.sessions.verifyShareToken(token, s.now())
	if err != nil {
		return shareLink{}, nil, err
	}
	p, ok := s.partners.Load().Partner(l.partner)
	want, holds := s.credentialOf(kindLink, l.partner)
	if !ok || !holds || !hmac.Equal([]byte(l.credential), []byte(want)) {
		return shareLink{}, nil, errShareInvalid
	}
	return l, p, nil
}

// refuseLink answers a sign-in link that shareLinkOf refused. A link that
// is not valid (forged, withdrawn) spends one of the client's failures;
// an expired one, which we signed, does not.
func (s *Server) refuseLink(w http.ResponseWriter, r *http.Request, key string, err error) {
	if errors.Is(err, errShareInvalid) {
		if failed := s.authFailed(key); failed != nil {
			s.refuseSignIn(w, r, failed)
			return
		}
	}
	status, msg := shareRefusal(err)
	s.renderDashboard(w, r, status, &dashboardPage{Error: msg})
}

// refuseSignIn answers a sign-in refused by the failure throttle (a
// *tooManyFailures) with the sign-in page, 429 and Retry-After; any
// other error as writeError does.
func (s *Server) refuseSignIn(w http.ResponseWriter, r *http.Request, err error) {
	tm, ok := errors.AsType[*tooManyFailures](err)
	if !ok {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Retry-After", tm.retryAfter())
	s.renderDashboard(w, r, statusOf[ERateLimited], &dashboardPage{
		Error: "Too many failed sign-ins from your network. Try again in " + tm.retryAfter() + " seconds.",
	})
}

// shareRefusal is the status and the message of a page refusing a link.
func shareRefusal(err error) (int, string) {
	if errors.Is(err, errShareExpired) {
		return http.StatusGone, "This sign-in link has expired. Ask your Forge Fit contact for a new one."
	}
	return http.StatusBadRequest, "This sign-in link is not valid. Ask your Forge Fit contact for a new one."
}

// showInvite answers "GET /dashboard?link=…": who the link is for and a
// button that signs in with it. Opening the link signs nobody in: the
// session starts with the button's post from this page, so a mail
// scanner that follows links changes nothing, and the SameSite=Strict
// cookie is set by a same-site request, which the browser then sends.
func (s *Server) showInvite(w http.ResponseWriter, r *http.Request, token string) {
	key, err := s.authGate(r)
	if err != nil {
		s.refuseSignIn(w, r, err)
		return
	}
	l, p, err := s.shareLinkOf(token)
	if err != nil {
		s.refuseLink(w, r, key, err)
		return
	}
	s.renderDashboard(w, r, http.StatusOK, &dashboardPage{Invite: &invite{
		Token: token, PartnerName: p.Name, Expires: l.expires.Format(dashboardTime),
	}})
}

// invite is a valid sign-in link, opened.
type invite struct {
	Token, PartnerName, Expires string
}

// createdLink is a sign-in link the admin has just created.
type createdLink struct {
	PartnerName, URL, Expires string
	Days                      int
}

// handleDashboardShare handles "POST /dashboard/share": the admin creates
// a sign-in link for one partner. The post must come from our origin with
// the session's CSRF token; the link is shown once, never logged.
func (s *Server) handleDashboardShare(w http.ResponseWriter, r *http.Request) {
	cookie, ok := s.sessionPost(w, r)
	if !ok {
		s.writeError(w, r, Errorf(EForbidden, "create sign-in links from the dashboard's own page"))
		return
	}
	sess, ok, err := s.sessionOf(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !ok || !sess.admin {
		s.writeError(w, r, Errorf(EForbidden, "only the admin creates sign-in links"))
		return
	}
	id := r.PostForm.Get("partner")
	p, ok := s.partners.Load().Partner(id)
	if !content.ValidID(id) || !ok {
		s.writeError(w, r, Errorf(EInvalid, "partner: %q is not a registered partner", id))
		return
	}
	days, err := strconv.Atoi(r.PostForm.Get("days"))
	if err != nil || !slices.Contains(shareLinkDays, days) {
		s.writeError(w, r, Errorf(EInvalid, "days: must be one of %v", shareLinkDays))
		return
	}
	expires := s.now().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
	credential, _ := s.credentialOf(kindLink, p.ID)
	link := s.publicOrigin(r) + "/dashboard?" + url.Values{"link": {s.sessions.shareToken(p.ID, expires, credential)}}.Encode()
	s.log.InfoContext(r.Context(), "dashboard sign-in link created", "partner", p.ID, "expires", expires.UTC())
	s.renderDashboard(w, r, http.StatusOK, &dashboardPage{
		SignedIn: true, Admin: true, CSRF: s.sessions.csrf(cookie.Value),
		Created: &createdLink{PartnerName: p.Name, URL: link, Expires: expires.UTC().Format(dashboardTime), Days: days},
	})
}
