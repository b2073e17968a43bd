package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ehforge/forgefit/store/sqlite"
	"github.com/ehforge/forgefit/widget/event"

	"github.com/ehforge/forgefit/store"
)

// storedEvents reads the product's SQLite file while the server runs (WAL
// lets a reader in beside the writer). It opens it read-only: the server
// under test stays the only writer (sqlite.Open would migrate and bring
// rollups up to date).
func storedEvents(t testing.TB, db string) []store.Event {
	t.Helper()
	s, err := sqlite.OpenReadOnly(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var all []store.Event
	after := int64(0)
	for {
		evs, err := s.Events(context.Background(), store.EventQuery{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return all
		}
		all = append(all, evs...)
		after = evs[len(evs)-1].Seq
	}
}

// waitForEvents polls the store until want returns true, for at most
// timeout.
func waitForEvents(t testing.TB, db string, timeout time.Duration, want func([]store.Event) bool) []store.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		evs := storedEvents(t, db)
		if want(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the store holds %d events: %v", timeout, len(evs), types(evs))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func types(evs []store.Event) []event.Type {
	var ts []event.Type
	for _, e := range evs {
		ts = append(ts, e.Type)
	}
	return ts
}

// TestWidgetRecordsItsView checks the real path: the widget in a
// cross-site iframe posts its events to the server, which stores them with
// the host page's context.
func TestWidgetRecordsItsView(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900)
	openDemoWidget(t, ctx, p)
	evs := waitForEvents(t, p.DB, 15*time.Second, func(evs []store.Event) bool {
		ts := types(evs)
		return slices.Contains(ts, event.WidgetLoaded) && slices.Contains(ts, event.WidgetViewed)
	})
	for _, e := range evs {
		if e.Partner != "demo" || e.Widget != "co-managed-vs-fully-managed" || e.Page.Origin != p.DemoURL || e.Page.Path != "/" {
			t.Errorf("event %s stored with partner %q widget %q page %q%q", e.Type, e.Partner, e.Widget, e.Page.Origin, e.Page.Path)
		}
		if !event.ValidUUIDv7(e.ID) || e.View == "" || e.Locale != "en" || e.ContentVersion == "" {
			t.Errorf("event %s: id %q view %q locale %q content version %q", e.Type, e.ID, e.View, e.Locale, e.ContentVersion)
		}
	}
}

// TestBeaconDeliversOnLeave leaves the partner page right after the widget
// mounted, before the 2 s batch timer: only the pagehide beacon can deliver
// widget_loaded.
func TestBeaconDeliversOnLeave(t *testing.T) {
	p := startProduct(t)
	ctx := newBrowser(t, 1280, 900)
	openDemoWidget(t, ctx, p)
	left := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if since := time.Since(left); since > 1500*time.Millisecond {
		t.Logf("leaving took %v; the batch timer may have sent first", since)
	}
	waitForEvents(t, p.DB, 10*time.Second, func(evs []store.Event) bool {
		return slices.Contains(types(evs), event.WidgetLoaded)
	})
}
