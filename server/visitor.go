package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"sync"
	"time"
)

// visitorHasher makes the daily visitor hash: a keyed hash of partner,
// client address and user agent, under a random salt made for each UTC day
// and forgotten two days later. Nothing it hashes is stored, and a hash
// cannot be linked across days, because the salts are never stored either.
type visitorHasher struct {
	mu    sync.Mutex
	salts map[time.Time][]byte // UTC day → salt
}

func newVisitorHasher() *visitorHasher {
	return &visitorHasher{salts: map[time.Time][]byte{}}
}

// Hash returns the visitor hash for a request received at now, or nil when
// the visitor asked not to be tracked (Sec-GPC: 1 or DNT: 1).
func (v *visitorHasher) Hash(r *http.Request, partner, clientIP string, now time.Time) []byte {
	if r.Header.Get("Sec-GPC") == "1" || r.Header.Get("DNT") == "1" {
		return nil
	}
	mac := hmac.New(sha256.New, v.salt(now))
	mac.Write([]byte(partner))
	mac.Write([]byte{0})
	mac.Write([]byte(clientIP))
	mac.Write([]byte{0})
	mac.Write([]byte(r.UserAgent()))
	return mac.Sum(nil)[:16]
}

// salt returns the salt of now's UTC day, making it on first use and
// forgetting salts older than 48 hours.
func (v *visitorHasher) salt(now time.Time) []byte {
	day := Day(now)
	v.mu.Lock()
	defer v.mu.Unlock()
	s, ok := v.salts[day]
	if !ok {
		s = make([]byte, 32)
		_, _ = rand.Read(s)
		v.salts[day] = s
		for d := range v.salts {
			if day.Sub(d) >= 48*time.Hour {
				delete(v.salts, d)
			}
		}
	}
	return s
}
