package server

import (
	"regexp"
)

// crawlerPattern matches the user agents of known crawlers and monitors.
// Ingest checks the agent against it and never stores the agent itself.
var crawlerPattern = regexp.MustCompile(`(?i)bot\b|bot/|crawl|spider|slurp|bingpreview|facebookexternalhit|headlesschrome|lighthouse|pingdom|uptimerobot|python-requests|curl/|wget/|go-http-client`)

// isCrawler reports whether a user agent is a known crawler.
func isCrawler(userAgent string) bool {
	return userAgent == "" || crawlerPattern.MatchString(userAgent)
}
