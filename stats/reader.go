package stats

import (
	"context"
	"time"

	"github.com/ehforge/forgefit/store"
)

// MaxDays bounds a stats range: two years of days.
const MaxDays = 731

// Query selects the figures of one partner (or all, "") and one widget (or
// all, "") over a range of UTC days. The server validates it, and checks
// the viewer may see it, before it reaches a Reader.
type Query struct {
	Partner, Widget string
	From, To        time.Time // UTC days, both included
}

// Days is the number of days the range covers.
func (q Query) Days() int { return int(q.To.Sub(q.From).Hours()/24) + 1 }

// Reader computes Stats from a store's rollups, keeping closed periods
// merged in a bounded cache (see monthCache). A Reader is safe for
// concurrent use.
type Reader struct {
	store store.Store
	now   func() time.Time
	cache *monthCache
}

// NewReader returns a Reader of st's rollups; now is the clock that says
// which days are closed (nil: time.Now).
func NewReader(st store.Store, now func() time.Time) *Reader {
	if now == nil {
		now = time.Now
	}
	return &Reader{store: st, now: now, cache: newMonthCache(monthCacheEntries, monthCacheBytes)}
}

// Stats reads q's rollups and computes its figures.
func (s *Reader) Stats(ctx context.Context, q Query) (*Stats, error) {
	parts, err := s.parts(ctx, q)
	if err != nil {
		return nil, err
	}
	return computeStats(parts, q.From, q.To, q.Partner, q.Widget), nil
}
