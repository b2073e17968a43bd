package server

// rankedValues decides which values of one kind (a partner's host pages,
// its refused origins) are counted one by one on one UTC day, and which
// go to InstallOther: the values counted most, not the first to come, so
// that a flood of distinct made-up values (a made-up path per request)
// cannot push a steadily counted real page out.
//
// Up to limit values are named, with their counts of the day. While there
// is room, a new value is named at once (a small site's one visit a day
// is counted under its own name). Once full, a value not named is counted
// under InstallOther and kept as a candidate in a space-saving summary of
// limit entries (Metwally et al.): its count there is an overestimate by
// at most its err. A candidate is named in place of the least counted
// named value only when its guaranteed count (count - err) exceeds that
// value's count; the value it replaces becomes a candidate. A made-up
// value asked for once has a guaranteed count of at most 1, so it never
// replaces a value counted twice or more.
//
// Every value named is a row the store keeps for the day, so the names
// given in a day are bounded too: limit at first, then at most limit
// replacements. What the bound leaves open: a flood, on a day, of more
// distinct values than there are candidate entries, before the real pages
// of that day have come, holds the named places until the real pages'
// counts stand out from the flood's churn (past about flood/limit each).
type rankedValues struct {
	limit  int
	named  map[string]int64
	cands  map[string]candidate
	naming int // names given today: at most 2*limit
}

type candidate struct{ count, err int64 }

func newRankedValues(limit int) *rankedValues {
	return &rankedValues{limit: limit, named: map[string]int64{}, cands: map[string]candidate{}}
}

// count counts one of value and reports whether it is counted under its
// own name (false: under InstallOther).
func (r *rankedValues) count(value string) bool {
	if n, ok := r.named[value]; ok {
		r.named[value] = n + 1
		return true
	}
	if len(r.named) < r.limit && r.naming < 2*r.limit {
		r.named[value] = 1
		r.naming++
		return true
	}
	c, ok := r.cands[value]
	if !ok {
		if len(r.cands) >= r.limit {
			least, n := leastCounted(r.cands, func(c candidate) int64 { return c.count })
			delete(r.cands, least)
			c = candidate{count: n, err: n}
		}
	}
	c.count++
	if r.naming < 2*r.limit && len(r.named) > 0 {
		least, n := leastCounted(r.named, func(n int64) int64 { return n })
		if sure := c.count - c.err; sure > n {
			delete(r.named, least)
			delete(r.cands, value)
			r.named[value] = sure
			r.naming++
			r.cands[least] = candidate{count: n} // it may come back
			if len(r.cands) > r.limit {
				l, _ := leastCounted(r.cands, func(c candidate) int64 { return c.count })
				delete(r.cands, l)
			}
			return true
		}
	}
	r.cands[value] = c
	return false
}

// leastCounted returns the key of m with the least count, the least key
// among equals (so the choice does not depend on the map's order).
func leastCounted[V any](m map[string]V, count func(V) int64) (string, int64) {
	var key string
	var least int64
	first := true
	for k, v := range m {
		n := count(v)
		if first || n < least || (n == least && k < key) {
			key, least, first = k, n, false
		}
	}
	return key, least
}
