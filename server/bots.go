package server

import (
	"regexp"
	"strings"
)

// crawlerPattern matches the user agents of known crawlers and monitors.
// Ingest checks the agent against it and never stores the agent itself.
var crawlerPattern = regexp.MustCompile(`(?i)bot\b|bot/|crawl|spider|slurp|bingpreview|facebookexternalhit|headlesschrome|lighthouse|pingdom|uptimerobot|python-requests|curl/|wget/|go-http-client`)

// crawlerWords are crawlerPattern's alternatives other than "bot", in
// lower case, for the fast path of isCrawler.
var crawlerWords = []string{"crawl", "spider", "slurp", "bingpreview", "facebookexternalhit", "headlesschrome",
	"lighthouse", "pingdom", "uptimerobot", "python-requests", "curl/", "wget/", "go-http-client"}

// isCrawler reports whether a user agent is a known crawler.
//
// Every ingest request asks, and the backtracking regexp cost as much as
// decoding the batch, so an ASCII agent (all real ones) is lower-cased
// and searched for crawlerPattern's words directly; any other agent goes
// through crawlerPattern itself. For ASCII the two agree: (?i) folds an
// ASCII letter only to ASCII letters and to U+212A and U+017F, which an
// ASCII agent cannot hold, and \b is ASCII.
func isCrawler(userAgent string) bool {
	if userAgent == "" {
		return true
	}
	var buf [256]byte
	lower := buf[:0]
	for i := 0; i < len(userAgent); i++ {
		c := userAgent[i]
		if c >= 0x80 {
			return crawlerPattern.MatchString(userAgent)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	ua := string(lower)
	for rest := ua; ; {
		i := strings.Index(rest, "bot")
		if i < 0 {
			break
		}
		rest = rest[i+3:]
		if rest == "" || !isWordByte(rest[0]) {
			return true // "bot\b" or "bot/"
		}
	}
	for _, w := range crawlerWords {
		if strings.Contains(ua, w) {
			return true
		}
	}
	return false
}

// isWordByte reports whether c is in \w, as regexp's \b sees it.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}
