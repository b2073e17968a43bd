package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/store"
)

// testInstallations checks the installation counts: added up call after
// call and from concurrent writers (several servers), 'seen' keeping the
// greatest time, read back by day range (both ends included, the day
// boundary in UTC) and by partner, and nothing for an empty range.
func testInstallations(t *testing.T, open Open) {
	s := opened(t, open)
	ctx := context.Background()
	read := func(q store.InstallQuery) []store.InstallCount {
		t.Helper()
		got, err := s.InstallCounts(ctx, q)
		if err != nil {
			t.Fatalf("InstallCounts: %v", err)
		}
		return got
	}
	all := store.InstallQuery{From: day0.AddDate(-1, 0, 0), To: day0.AddDate(1, 0, 0)}
	if got := read(all); len(got) != 0 {
		t.Fatalf("a new store has installation counts: %v", got)
	}
	if err := s.AddInstallCounts(ctx, nil); err != nil {
		t.Fatalf("AddInstallCounts(nil): %v", err)
	}
	page := func(day time.Time, partner, metric, key string, n int64) store.InstallCount {
		return store.InstallCount{Day: day, Partner: partner, Origin: "https://www.acme.example", Path: "/it-services", Metric: metric, Key: key, N: n}
	}
	// The last microsecond of day0 and the first of the next day: the
	// counts' days are what the caller says, at midnight UTC.
	next := day0.AddDate(0, 0, 1)
	seen := day0.Add(23 * time.Hour).Unix()
	add := func(counts ...store.InstallCount) {
		t.Helper()
		if err := s.AddInstallCounts(ctx, counts); err != nil {
			t.Fatalf("AddInstallCounts: %v", err)
		}
	}
	add(page(day0, "acme", store.InstallServed, "", 2), page(day0, "acme", store.InstallSeen, "", seen),
		page(day0, "acme", store.InstallInteractive, "300", 1), page(next, "acme", store.InstallServed, "", 1),
		store.InstallCount{Day: day0, Partner: store.UnknownPartner, Origin: "https://staging.acme.example", Metric: store.InstallRefused, Key: "partner acme-typo", N: 1},
		page(day0, "globex", store.InstallServed, "", 5))
	add(page(day0, "acme", store.InstallServed, "", 3), page(day0, "acme", store.InstallSeen, "", seen-60),
		page(day0, "acme", store.InstallInteractive, "300", 1))

	// Several servers adding at once lose nothing.
	const servers, rounds = 4, 10
	var wg sync.WaitGroup
	for range servers {
		wg.Go(func() {
			for range rounds {
				if err := s.AddInstallCounts(ctx, []store.InstallCount{
					page(day0, "globex", store.InstallStarted, "", 1), page(day0, "globex", store.InstallSeen, "", seen+1),
					page(day0, "acme", store.InstallStarted, "", 1),
				}); err != nil {
					t.Errorf("AddInstallCounts: %v", err)
				}
			}
		})
	}
	wg.Wait()

	want := []store.InstallCount{
		page(day0, "acme", store.InstallInteractive, "300", 2),
		page(day0, "acme", store.InstallSeen, "", seen),
		page(day0, "acme", store.InstallServed, "", 5),
		page(day0, "acme", store.InstallStarted, "", servers*rounds),
		page(day0, "globex", store.InstallSeen, "", seen+1),
		page(day0, "globex", store.InstallServed, "", 5),
		page(day0, "globex", store.InstallStarted, "", servers*rounds),
		{Day: day0, Partner: store.UnknownPartner, Origin: "https://staging.acme.example", Metric: store.InstallRefused, Key: "partner acme-typo", N: 1},
		page(next, "acme", store.InstallServed, "", 1),
	}
	store.SortInstallCounts(want)
	if diff := gocmp.Diff(want, read(all), options); diff != "" {
		t.Errorf("installation counts (-want +got):\n%s", diff)
	}
	// One day: the next day's count is not in it.
	if diff := gocmp.Diff(want[:len(want)-1], read(store.InstallQuery{From: day0, To: day0}), options); diff != "" {
		t.Errorf("day0's counts (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff(want[len(want)-1:], read(store.InstallQuery{From: next, To: next.AddDate(0, 0, 5)}), options); diff != "" {
		t.Errorf("the next days' counts (-want +got):\n%s", diff)
	}
	// One partner, with the unknown partners' refusals.
	var acme []store.InstallCount
	for _, c := range want {
		if c.Partner == "acme" || c.Partner == store.UnknownPartner {
			acme = append(acme, c)
		}
	}
	if diff := gocmp.Diff(acme, read(store.InstallQuery{From: all.From, To: all.To, Partners: []string{"acme", store.UnknownPartner}}), options); diff != "" {
		t.Errorf("acme's counts (-want +got):\n%s", diff)
	}
	if got := read(store.InstallQuery{From: day0.AddDate(0, 0, -10), To: day0.AddDate(0, 0, -1)}); len(got) != 0 {
		t.Errorf("an empty range has counts: %v", got)
	}
	if got := read(store.InstallQuery{From: all.From, To: all.To, Partners: []string{"initech"}}); len(got) != 0 {
		t.Errorf("a partner with none has counts: %v", got)
	}
	// They last: a store opened again has them.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = opened(t, open)
	if diff := gocmp.Diff(want, read(all), options); diff != "" {
		t.Errorf("installation counts after reopening (-want +got):\n%s", diff)
	}
}
