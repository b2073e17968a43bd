package server_test

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/server"
)

// TestClientRateLimitKeysIPv6ByItsSlash64 sends events from addresses a
// trusted proxy names: a client rotating through the addresses of its
// IPv6 /64 shares one budget, while other /64s and other IPv4 addresses
// keep theirs.
func TestClientRateLimitKeysIPv6ByItsSlash64(t *testing.T) {
	e := newIngestEnv(t, func(c *server.Config) {
		c.ClientRate = 1 // bursts of 2
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	from := func(addr string) int {
		t.Helper()
		res, body := e.post(t, post{
			body:    batchBody("acme", partnerPage, newEvent("widget_loaded", "")),
			headers: map[string]string{"X-Forwarded-For": addr},
		})
		if res.StatusCode == 429 && res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: 429 without Retry-After", addr)
		}
		if res.StatusCode != 202 && res.StatusCode != 429 {
			t.Fatalf("%s: %d %s", addr, res.StatusCode, body)
		}
		return res.StatusCode
	}
	var got []int
	// One /64, a new address each time (privacy addresses, or a client
	// making them up): limited together.
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2:a:b:c:d", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::42"} {
		got = append(got, from(a))
	}
	// Two other /64s, one of them next door: each its own budget.
	got = append(got, from("2001:db8:1:3::1"), from("2001:db8:1:3::2"), from("2001:db8:1:3::3"))
	got = append(got, from("2001:db8:9::1"))
	// IPv4 is keyed by address: a neighbour is not limited with it.
	got = append(got, from("192.0.2.1"), from("192.0.2.1"), from("192.0.2.1"), from("192.0.2.2"))
	want := []int{
		202, 202, 429, 429,
		202, 202, 429,
		202,
		202, 202, 429, 202,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}
