package server

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters hands out one token bucket per key (a partner, or a client
// address), so one noisy client spends only its own budget. The set is
// bounded: idle buckets are dropped, and when it is full, new keys share
// one overflow bucket rather than growing memory without end.
type limiters struct {
	rate  rate.Limit
	burst int
	max   int

	mu       sync.Mutex
	buckets  map[string]*bucket
	overflow *rate.Limiter
	swept    time.Time
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

// newLimiters allows perSecond requests a second per key, with bursts of
// twice that; perSecond 0 means no limit.
func newLimiters(perSecond float64, max int) *limiters {
	l := &limiters{rate: rate.Limit(perSecond), burst: int(math.Ceil(2 * perSecond)), max: max, buckets: map[string]*bucket{}}
	if perSecond <= 0 {
		l.rate = rate.Inf
	}
	l.overflow = rate.NewLimiter(l.rate, l.burst)
	return l
}

// Allow reports whether key may make a request at now, and if not, how
// long until it may.
func (l *limiters) Allow(key string, now time.Time) (bool, time.Duration) {
	if l.rate == rate.Inf {
		return true, 0
	}
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		l.sweep(now)
		if len(l.buckets) < l.max {
			b = &bucket{limiter: rate.NewLimiter(l.rate, l.burst)}
			l.buckets[key] = b
		}
	}
	lim := l.overflow
	if b != nil {
		b.seen = now
		lim = b.limiter
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets idle long enough to be full again, at most once a
// second. The caller holds l.mu.
func (l *limiters) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Second && len(l.buckets) < l.max {
		return
	}
	l.swept = now
	idle := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Second
	for k, b := range l.buckets {
		if now.Sub(b.seen) > idle {
			delete(l.buckets, k)
		}
	}
}

// clientLimiters are the per-client limits, keyed by clientKey: an IPv6
// client's /64 shares one budget.
type clientLimiters struct{ *limiters }

func newClientLimiters(perSecond float64, max int) clientLimiters {
	return clientLimiters{newLimiters(perSecond, max)}
}

// Allow reports whether the client at a may make a request at now, and if
// not, how long until it may.
func (c clientLimiters) Allow(a netip.Addr, now time.Time) (bool, time.Duration) {
	return c.limiters.Allow(clientKey(a), now)
}
