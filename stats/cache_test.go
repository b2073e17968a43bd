package stats

import (
	"fmt"
	"testing"
	"time"

	"github.com/ehforge/forgefit/store"
)

// part is a closed day's part whose FAQ map holds n ids.
func part(n int) statsPart {
	r := store.NewRollup(store.RollupKey{Day: store.Day(time.Now())})
	r.FAQs = map[string]int64{}
	for i := range n {
		r.FAQs[fmt.Sprintf("faq-%d", i)] = 1
	}
	return statsPart{rollup: r, days: map[string]Figures{}}
}

func key(i int) monthKey {
	d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
	return monthKey{partner: "acme", first: d, last: d}
}

func TestMonthCacheEvictsLeastRecentlyUsedByEntries(t *testing.T) {
	c := newMonthCache(3, 1<<30)
	for i := range 3 {
		c.put(key(i), part(1))
	}
	if _, ok := c.get(key(0)); !ok { // key 0 is now the most recently used
		t.Fatal("part 0 missing")
	}
	c.put(key(3), part(1))
	if n, _ := c.usage(); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
	if _, ok := c.get(key(1)); ok {
		t.Error("part 1, the least recently used, was kept")
	}
	for _, i := range []int{0, 2, 3} {
		if _, ok := c.get(key(i)); !ok {
			t.Errorf("part %d was evicted", i)
		}
	}
}

func TestMonthCacheStaysWithinItsBytes(t *testing.T) {
	one := part(1000).size()
	c := newMonthCache(1000, 10*one)
	for i := range 50 {
		c.put(key(i), part(1000))
		if _, b := c.usage(); b > 10*one {
			t.Fatalf("after %d parts the cache holds %d bytes, over its %d", i+1, b, 10*one)
		}
	}
	if n, b := c.usage(); n != 10 || b != 10*one {
		t.Errorf("%d parts of %d bytes, want 10 of %d", n, b, 10*one)
	}
	// The newest parts are the ones kept.
	if _, ok := c.get(key(49)); !ok {
		t.Error("the newest part was evicted")
	}
	if _, ok := c.get(key(39)); ok {
		t.Error("an old part was kept")
	}

	// A part over a quarter of the bytes is not kept, and evicts nothing.
	c.put(key(100), part(3000))
	if _, ok := c.get(key(100)); ok {
		t.Error("a part over a quarter of the cache was kept")
	}
	if n, _ := c.usage(); n != 10 {
		t.Errorf("%d parts after a part too large, want 10", n)
	}

	// Replacing a part counts its bytes once.
	c.put(key(49), part(1000))
	if n, b := c.usage(); n != 10 || b != 10*one {
		t.Errorf("after replacing a part: %d parts of %d bytes, want 10 of %d", n, b, 10*one)
	}
}

// The estimate grows with what a part holds: 100,000 made-up ids are
// megabytes, not the few kilobytes of a real day.
func TestStatsPartSizeGrowsWithItsKeys(t *testing.T) {
	small, big := part(10).size(), part(100_000).size()
	if small > 4<<10 {
		t.Errorf("a part of 10 FAQ ids is estimated at %d bytes", small)
	}
	if big < 100_000*64 {
		t.Errorf("a part of 100,000 FAQ ids is estimated at %d bytes, under 64 a key", big)
	}
}
