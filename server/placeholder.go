package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ehforge/forgefit/widget/content"
)

// CheckCTAs reports every call to action that would send a partner's
// visitors to a placeholder address (example.com, a .test or .invalid
// name: the default content's URL is one), naming the partner, widget,
// locale and outcome and what to set. A production server refuses to start
// with one, and a reload keeps the partners in use; the demo allows them.
func CheckCTAs(lib *content.Library, ps *Partners) error {
	var errs []error
	for _, id := range ps.IDs() {
		p, _ := ps.Partner(id)
		for _, widget := range lib.IDs() {
			for _, locale := range lib.Locales(widget) {
				w, err := lib.Widget(widget, locale)
				if err != nil {
					return err
				}
				c := partnerCTA(w, p)
				seen := map[string]bool{}
				check := func(where, u string) {
					if placeholderURL(u) && !seen[u] {
						seen[u] = true
						errs = append(errs, fmt.Errorf("partner %q: widget %s (%s): the call to action%s goes to %s, a placeholder: set cta_url (or cta_urls) for the partner in the partners file, or the content's cta.url", id, widget, locale, where, u))
					}
				}
				check("", c.URL)
				for _, o := range c.Outcomes {
					check(" with the "+o.Outcome+" result", o.URL)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// placeholderURL reports whether u's host is reserved for examples and
// tests (RFC 2606, RFC 6761): no partner's visitors should land there.
func placeholderURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")
	for _, domain := range []string{"example.com", "example.net", "example.org"} {
		if host == domain || strings.HasSuffix(host, "."+domain) {
			return true
		}
	}
	for _, tld := range []string{".example", ".test", ".invalid", ".localhost"} {
		if strings.HasSuffix(host, tld) || host == tld[1:] {
			return true
		}
	}
	return false
}
