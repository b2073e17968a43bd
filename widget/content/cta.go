package content

import (
	"net/url"
	"strings"
)

// AttributedCTA returns the call-to-action URL with the client's CRM attribution
// appended: utm_source=forgefit, utm_medium=partner and
// utm_campaign={partner}. The URL's own query is kept, except that these
// three are ours. It returns "" if raw is not an absolute http(s) URL.
//
// The server applies it when it looks up the content for a partner, so the
// data island carries the final URL and the wasm needs no URL building.
//
// The result goes into an href attribute, which go-app's prerender quotes
// with strconv.Quote rather than HTML-escaping: so a double quote, a
// backslash or an ampersand outside the query (which the HTML parser could
// read as a character reference) never survives unencoded.
func AttributedCTA(raw, partner string) string {
	if CheckURL(raw) != nil {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("utm_source", "forgefit")
	q.Set("utm_medium", "partner")
	if ValidID(partner) {
		q.Set("utm_campaign", partner)
	} else {
		q.Del("utm_campaign")
	}
	u.RawQuery = q.Encode()
	// EscapedPath and EscapedFragment leave '&' alone; encode it, as an
	// equivalent that cannot start a character reference.
	u.RawPath = strings.ReplaceAll(u.EscapedPath(), "&", "%26")
	if u.Fragment != "" {
		u.RawFragment = strings.ReplaceAll(u.EscapedFragment(), "&", "%26")
	}
	s := u.String()
	if strings.ContainsAny(s, "\"\\<> '`") {
		return ""
	}
	return s
}
