package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the address of the client that made r: the peer, or,
// when the peer is a trusted proxy, the rightmost X-Forwarded-For address
// that is not itself a trusted proxy. Believing every X-Forwarded-For would
// let any client pick the address its rate limit is counted under.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !isTrusted(a, trusted) {
			return a
		}
	}
	return peer
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientKey is the key a client's requests are rate limited under: an
// IPv4 address as it is, an IPv6 address by its /64. One IPv6 host
// commonly holds a whole /64 (a provider hands a customer one at least,
// and privacy addresses rotate within it), so a key per address would give
// one client a fresh budget with every address it makes up.
func clientKey(a netip.Addr) string {
	a = a.Unmap()
	if !a.Is6() {
		return a.String() // IPv4, or "invalid IP" for an unknown peer
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}
