package server

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ehforge/forgefit/store"
)

func TestVisitorHash(t *testing.T) {
	v := newVisitorHasher(nil, nil)
	day1 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	r := httptest.NewRequest("POST", "/api/v1/events", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0")
	a := v.Hash(r, "acme", "192.0.2.1", day1)
	if len(a) != 16 {
		t.Fatalf("hash length %d", len(a))
	}
	if b := v.Hash(r, "acme", "192.0.2.1", day1.Add(13*time.Hour)); !bytes.Equal(a, b) {
		t.Error("the same visitor on the same UTC day got two hashes")
	}
	if b := v.Hash(r, "other", "192.0.2.1", day1); bytes.Equal(a, b) {
		t.Error("one visitor hashes the same for two partners")
	}
	if b := v.Hash(r, "acme", "192.0.2.1", day1.Add(24*time.Hour)); bytes.Equal(a, b) {
		t.Error("the hash did not change with the day's salt")
	}
	v.Hash(r, "acme", "192.0.2.1", day1.Add(72*time.Hour))
	if _, ok := v.salts[store.Day(day1)]; ok {
		t.Error("a salt older than 48 hours is still kept")
	}
	for _, h := range []string{"Sec-GPC", "DNT"} {
		r := httptest.NewRequest("POST", "/api/v1/events", nil)
		r.Header.Set(h, "1")
		if got := v.Hash(r, "acme", "192.0.2.1", day1); got != nil {
			t.Errorf("%s: 1 still gave a visitor hash", h)
		}
	}
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"192.0.2.7:5555", "", "192.0.2.7"},
		{"192.0.2.7:5555", "203.0.113.9", "192.0.2.7"}, // untrusted peer: its header is ignored
		{"10.1.2.3:5555", "203.0.113.9", "203.0.113.9"},
		{"10.1.2.3:5555", "198.51.100.1, 203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{"10.1.2.3:5555", "garbage", "10.1.2.3"},
		{"[::ffff:192.0.2.7]:1", "", "192.0.2.7"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientIP(r, trusted); got.String() != tc.want {
			t.Errorf("clientIP(%s, XFF %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestLimitersIsolateKeys(t *testing.T) {
	l := newLimiters(5, 2) // 5/s, bursts of 10, at most 2 keys
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		if ok, _ := l.Allow("noisy", now); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.Allow("noisy", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Errorf("past the burst: allowed=%v wait=%v, want refused with a wait under 1s", ok, wait)
	}
	if ok, _ := l.Allow("quiet", now); !ok {
		t.Error("a noisy client starved another")
	}
	if ok, _ := l.Allow("noisy", now.Add(time.Second)); !ok {
		t.Error("the bucket did not refill")
	}
	l.Allow("third", now) // beyond max: shares the overflow bucket
	if len(l.buckets) > 2 {
		t.Errorf("%d buckets kept, want at most 2", len(l.buckets))
	}
	if ok, _ := newLimiters(0, 1).Allow("x", now); !ok {
		t.Error("a zero rate should mean no limit")
	}
}

func TestIsCrawler(t *testing.T) {
	for ua, want := range map[string]bool{
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)":                true,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36": false,
		"": true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1": false,
		"bingbot/2.0":            true,
		"python-requests/2.31.0": true,
	} {
		if got := isCrawler(ua); got != want {
			t.Errorf("isCrawler(%q) = %v, want %v", ua, got, want)
		}
	}
}

// TestIsCrawlerAgreesWithPattern checks isCrawler's fast path against
// crawlerPattern itself.
func TestIsCrawlerAgreesWithPattern(t *testing.T) {
	agents := []string{
		"Googlebot", "googlebot/2.1", "AdsBot-Google", "bot", "BOT_x", "robots", "Abbot9", "a bot.", "bot/",
		"Mozilla/5.0 (compatible; YandexBot/3.0)", "Crawler", "SPIDER", "Slurp", "BingPreview/1.0b",
		"facebookexternalhit/1.1", "HeadlessChrome/120", "Chrome-Lighthouse", "Pingdom.com_bot", "UptimeRobot/2.0",
		"curl/8.0", "curl", "Wget/1.21", "Go-http-client/1.1", "Mozilla/5.0 Chrome/131.0",
		"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", "spıder", "Krawl", "cräwl bot", "ſpider",
	}
	for _, ua := range agents {
		if got, want := isCrawler(ua), crawlerPattern.MatchString(ua); got != want {
			t.Errorf("isCrawler(%q) = %v, crawlerPattern says %v", ua, got, want)
		}
	}
}

// memorySalts is a VisitorSalts in memory, as a database shared by
// several servers would keep them.
type memorySalts struct {
	mu    sync.Mutex
	salts map[time.Time][]byte
	err   error
}

func (m *memorySalts) DailySalt(_ context.Context, day time.Time, salt []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	if m.salts == nil {
		m.salts = map[time.Time][]byte{}
	}
	if s, ok := m.salts[day]; ok {
		return s, nil
	}
	m.salts[day] = salt
	return salt, nil
}

// TestVisitorHashShared checks that servers sharing the daily salt hash a
// visitor alike, and that a server that cannot get the shared salt makes
// no hash rather than one of its own.
func TestVisitorHashShared(t *testing.T) {
	day1 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	r := httptest.NewRequest("POST", "/api/v1/events", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0")
	shared := &memorySalts{}
	a, b := newVisitorHasher(shared, nil), newVisitorHasher(shared, nil)
	ha := a.Hash(r, "acme", "192.0.2.1", day1)
	if hb := b.Hash(r, "acme", "192.0.2.1", day1.Add(time.Hour)); len(ha) != 16 || !bytes.Equal(ha, hb) {
		t.Errorf("two servers sharing salts hashed one visitor as %x and %x", ha, hb)
	}
	if own := newVisitorHasher(nil, nil).Hash(r, "acme", "192.0.2.1", day1); bytes.Equal(ha, own) {
		t.Error("a server with salts of its own hashed like the servers sharing theirs")
	}

	shared.err = errors.New("database down")
	c := newVisitorHasher(shared, nil)
	if h := c.Hash(r, "acme", "192.0.2.1", day1); h != nil {
		t.Errorf("without the shared salt, a hash was made: %x", h)
	}
	shared.err = nil
	if h := c.Hash(r, "acme", "192.0.2.1", day1.Add(time.Second)); h != nil {
		t.Errorf("retried the shared salt within %v of a failure", saltRetry)
	}
	if h := c.Hash(r, "acme", "192.0.2.1", day1.Add(saltRetry)); !bytes.Equal(ha, h) {
		t.Errorf("after the database came back, hash %x, want the shared %x", h, ha)
	}
}

func TestClientKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:a:b:c:d": "2001:db8:1:2::/64",
		"2001:db8:1:2::1":      "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"2001:db8:1:3:ffff::1": "2001:db8:1:3::/64",
	} {
		if got := clientKey(netip.MustParseAddr(addr)); got != want {
			t.Errorf("clientKey(%s) = %s, want %s", addr, got, want)
		}
	}
	if got := clientKey(netip.Addr{}); got != "invalid IP" {
		t.Errorf("clientKey of no address = %q", got)
	}
}
