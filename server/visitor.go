package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ehforge/forgefit/store"
)

// saltTimeout bounds the wait for a shared salt; saltRetry is how long a
// server goes without visitor hashes after failing to get one.
const (
	saltTimeout = 2 * time.Second
	saltRetry   = 10 * time.Second
)

// visitorHasher makes the daily visitor hash: a keyed hash of partner,
// client address and user agent, under a random salt made for each UTC day
// and forgotten two days later. Nothing it hashes is stored. The salts are
// kept in memory, and, when the store keeps them (shared is not nil), in
// the database for those two days as well: a hash cannot be linked across
// days, since each day's salt is new.
type visitorHasher struct {
	shared store.VisitorSalts // nil: salts are this server's own
	log    *slog.Logger

	mu     sync.Mutex
	salts  map[time.Time][]byte // UTC day → salt
	failed time.Time            // when getting a shared salt last failed
}

func newVisitorHasher(shared store.VisitorSalts, log *slog.Logger) *visitorHasher {
	if log == nil {
		log = slog.Default()
	}
	return &visitorHasher{shared: shared, log: log, salts: map[time.Time][]byte{}}
}

// Hash returns the visitor hash for a request received at now, or nil when
// the visitor asked not to be tracked (Sec-GPC: 1 or DNT: 1) or the
// shared salt cannot be had (the visitor is then not counted, rather than
// counted again under a salt of this server's own).
func (v *visitorHasher) Hash(r *http.Request, partner, clientIP string, now time.Time) []byte {
	if r.Header.Get("Sec-GPC") == "1" || r.Header.Get("DNT") == "1" {
		return nil
	}
	salt := v.salt(r.Context(), now)
	if salt == nil {
		return nil
	}
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(partner))
	mac.Write([]byte{0})
	mac.Write([]byte(clientIP))
	mac.Write([]byte{0})
	mac.Write([]byte(r.UserAgent()))
	return mac.Sum(nil)[:16]
}

// salt returns the salt of now's UTC day, making it (or fetching the
// shared one) on first use and forgetting salts older than 48 hours. It
// returns nil when the shared salt cannot be had.
func (v *visitorHasher) salt(ctx context.Context, now time.Time) []byte {
	day := store.Day(now)
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.salts[day]; ok {
		return s
	}
	s := make([]byte, 32)
	_, _ = rand.Read(s)
	if v.shared != nil {
		if now.Sub(v.failed) < saltRetry {
			return nil
		}
		// Once a day per server; the lock keeps it once.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saltTimeout)
		got, err := v.shared.DailySalt(ctx, day, s)
		cancel()
		if err != nil || len(got) == 0 {
			v.failed = now
			v.log.Warn("visitor hashes: cannot get the shared daily salt; visitors go uncounted until it can", "err", err)
			return nil
		}
		s = got
	}
	v.salts[day] = s
	for d := range v.salts {
		if day.Sub(d) >= 48*time.Hour {
			delete(v.salts, d)
		}
	}
	return s
}
