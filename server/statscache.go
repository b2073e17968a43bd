package server

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// monthCache keeps closed periods' rollups merged, one part per partner x
// widget x period, where a period is a whole month or a single day. Events
// count on the UTC day the server received them, so a period that ended
// before today never changes again: it is read from the rollups once and
// kept. A year's stats then fold about twelve month parts, the day parts
// of the range's ragged edges and today's rollups, instead of every day's
// rollups (for all 50 partners that is the difference between 2 s and
// 50 ms).
type monthCache struct {
	mu    sync.Mutex
	parts map[monthKey]statsPart
	max   int
	// reads makes a request that needs a part another goroutine is
	// reading (the warm-up at start, usually) wait for that read rather
	// than read the same rollups again beside it on the same cores.
	reads singleflight.Group
}

type monthKey struct {
	partner, widget string
	first, last     time.Time
}

func newMonthCache(max int) *monthCache {
	return &monthCache{parts: map[monthKey]statsPart{}, max: max}
}

// statsParts returns the parts that make up q's range: cached closed
// months where the range covers them whole, daily rollups elsewhere.
func (s *Server) statsParts(ctx context.Context, q statsQuery) ([]statsPart, error) {
	today := Day(s.now())
	var parts []statsPart
	for d := q.from; !d.After(q.to); {
		first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1)
		if d.Equal(first) && !last.After(q.to) && last.Before(today) {
			p, err := s.monthPart(ctx, q, first, last)
			if err != nil {
				return nil, err
			}
			parts = append(parts, p)
			d = last.AddDate(0, 0, 1)
			continue
		}
		if d.Before(today) {
			p, err := s.monthPart(ctx, q, d, d) // a closed day
			if err != nil {
				return nil, err
			}
			parts = append(parts, p)
			d = d.AddDate(0, 0, 1)
			continue
		}
		end := last
		if q.to.Before(end) {
			end = q.to
		}
		rollups, err := s.cfg.Store.Rollups(ctx, RollupQuery{Partner: q.partner, Widget: q.widget, From: d, To: end})
		if err != nil {
			return nil, err
		}
		for i := range rollups {
			parts = append(parts, dailyPart(&rollups[i]))
		}
		d = end.AddDate(0, 0, 1)
	}
	return parts, nil
}

// monthPart returns a closed period (a month, or a day) merged into one
// part, from the cache or from the store.
func (s *Server) monthPart(ctx context.Context, q statsQuery, first, last time.Time) (statsPart, error) {
	key := monthKey{q.partner, q.widget, first, last}
	c := s.months
	if p, ok := c.get(key); ok {
		return p, nil
	}
	v, err, _ := c.reads.Do(key.String(), func() (any, error) {
		if p, ok := c.get(key); ok { // read while this call waited its turn
			return p, nil
		}
		// Not cancelled by the caller that happens to run it: the others
		// waiting for it would get its error.
		p, err := s.readPart(context.WithoutCancel(ctx), q, first, last)
		if err != nil {
			return statsPart{}, err
		}
		c.mu.Lock()
		if len(c.parts) >= c.max {
			clear(c.parts) // crude but bounded; the next reads refill it
		}
		c.parts[key] = p
		c.mu.Unlock()
		return p, nil
	})
	if err != nil {
		return statsPart{}, err
	}
	return v.(statsPart), nil
}

func (c *monthCache) get(k monthKey) (statsPart, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.parts[k]
	return p, ok
}

// String is k as a singleflight key.
func (k monthKey) String() string {
	return k.partner + "\x00" + k.widget + "\x00" + k.first.Format(time.DateOnly) + "\x00" + k.last.Format(time.DateOnly)
}

// readPart reads a closed period's rollups from the store and merges them
// into one part.
func (s *Server) readPart(ctx context.Context, q statsQuery, first, last time.Time) (statsPart, error) {
	rollups, err := s.cfg.Store.Rollups(ctx, RollupQuery{Partner: q.partner, Widget: q.widget, From: first, To: last})
	if err != nil {
		return statsPart{}, err
	}
	merged := NewRollup(RollupKey{Day: first, Partner: q.partner, Widget: q.widget})
	p := statsPart{rollup: merged, days: map[string]Figures{}}
	for i := range rollups {
		r := &rollups[i]
		for _, cnt := range r.Counts() {
			if err := merged.AddCount(cnt); err != nil {
				return statsPart{}, err
			}
		}
		if r.Newest.After(merged.Newest) {
			merged.Newest = r.Newest
		}
		day := r.Day.Format(time.DateOnly)
		var ds DayStats
		ds.Figures = p.days[day]
		ds.add(r)
		p.days[day] = ds.Figures
	}
	return p, nil
}

// WarmStats reads the closed months and days of the last year for all
// partners into the cache, in the background at start, so marketing's
// first dashboard view does not pay for a year of rollups (about 5 s with
// 10 million events on two cores). Per-partner reads are quick cold.
func (s *Server) WarmStats(ctx context.Context) {
	began := time.Now()
	to := Day(s.now())
	q := statsQuery{from: to.AddDate(0, 0, -(maxStatsDays - 1)), to: to}
	if _, err := s.statsParts(ctx, q); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("warming the stats cache failed", "err", err)
		}
		return
	}
	s.log.Info("stats cache warm", "took", time.Since(began).Round(time.Millisecond))
}
