package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehforge/forgefit/server"
)

// sessionCheckStore wraps a real store and fails its session checks on
// demand, as a database gone away does.
type sessionCheckStore struct {
	server.Store
	fail atomic.Bool
}

func (s *sessionCheckStore) SessionEnded(ctx context.Context, id string) (bool, error) {
	if s.fail.Load() {
		return false, errors.New("database is locked")
	}
	return s.Store.SessionEnded(ctx, id)
}

// TestInstallationsPageWhenTheStoreFails: a signed-in viewer whose session
// cannot be checked because the store fails gets 503, as the API does,
// not the sign-in page (which would say the session had ended).
func TestInstallationsPageWhenTheStoreFails(t *testing.T) {
	var store *sessionCheckStore
	e := newIngestEnv(t, func(c *server.Config) {
		c.Partners, _ = server.NewPartners([]server.Partner{
			{ID: "acme", Name: "Acme", Origins: []string{partnerPage}, TokenSHA256: server.TokenHash(acmeToken)},
		})
		store = &sessionCheckStore{Store: c.Store}
		c.Store = store
	})
	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	if res, _ := b.do("GET", "/dashboard/installations", nil, ""); res.StatusCode != 200 {
		t.Fatalf("installations page: %d, want 200", res.StatusCode)
	}
	store.fail.Store(true)
	res, body := b.do("GET", "/dashboard/installations", nil, "")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("installations page with the store failing: %d to %q, want 503: %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	store.fail.Store(false)
	if res, _ := b.do("GET", "/dashboard/installations", nil, ""); res.StatusCode != 200 {
		t.Errorf("installations page once the store is back: %d, want 200 (the session holds)", res.StatusCode)
	}
}

// TestInstallationsRefuseWidget: installations are counted per host page,
// not per widget; a widget parameter is refused with a 400 that says so,
// by the API and the page, rather than ignored.
func TestInstallationsRefuseWidget(t *testing.T) {
	e := newStatsEnv(t)
	res, body := e.getStats(t, "/api/v1/installations?widget="+widgetID, acmeToken)
	if res.StatusCode != 400 || !strings.Contains(string(body), "per host page") {
		t.Errorf("API with widget=: %d %s, want 400 naming the reason", res.StatusCode, body)
	}
	b := newDashboardBrowser(t, e)
	b.signIn(acmeToken)
	if res, page := b.do("GET", "/dashboard/installations?widget="+widgetID, nil, ""); res.StatusCode != 400 || !strings.Contains(page, "per host page") {
		t.Errorf("page with widget=: %d, want 400 naming the reason", res.StatusCode)
	}
	if res, _ := b.do("GET", "/dashboard/installations", nil, ""); res.StatusCode != 200 {
		t.Errorf("page without widget=: %d, want 200", res.StatusCode)
	}
}

// committedThenCancelledStore adds installation counts for good, then,
// when the flush's context has ended meanwhile, reports the cancel, as a
// driver does that sees the context end after the commit.
type committedThenCancelledStore struct{ server.Store }

func (s committedThenCancelledStore) AddInstallCounts(ctx context.Context, counts []server.InstallCount) error {
	if err := s.Store.AddInstallCounts(context.WithoutCancel(ctx), counts); err != nil {
		return err
	}
	return ctx.Err()
}

// TestInstallationsReadCancelledCountsOnce: a read of the installations
// whose client has gone away does not end the flush it makes first, so
// counts the store committed are not put back and added a second time.
func TestInstallationsReadCancelledCountsOnce(t *testing.T) {
	e := newIngestEnv(t, func(c *server.Config) {
		c.Partners, _ = server.NewPartners([]server.Partner{
			{ID: "acme", Name: "Acme", Origins: []string{partnerPage}, TokenSHA256: server.TokenHash(acmeToken)},
		})
		c.Store = committedThenCancelledStore{c.Store}
	})
	e.widgetPage(t, page("acme", partnerPage, "/it"), browserAgent)

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client has gone
	req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/installations", nil)
	req.Header.Set("Authorization", "Bearer "+acmeToken)
	e.srv.ServeHTTP(httptest.NewRecorder(), req)
	if err := e.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	day := server.Day(time.Now())
	counts, err := e.store.InstallCounts(context.Background(), server.InstallQuery{From: day.AddDate(0, 0, -1), To: day.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var served int64
	for _, c := range counts {
		if c.Metric == server.InstallServed {
			served += c.N
		}
	}
	if served != 1 {
		t.Errorf("the store has %d pages served, want 1: the flush of a cancelled read was added twice", served)
	}
}
