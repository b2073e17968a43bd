package server

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ehforge/forgefit/widget/content"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
)

// Partner is a site allowed to embed the widget.
type Partner struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Origins []string `json:"origins"`
	CTAURL  string   `json:"cta_url,omitempty"`
	// CTAURLs are the call to action's URLs with one outcome's result,
	// keyed by outcome (co-managed, fully-managed, either); CTAURL (or the
	// content's) serves the others.
	CTAURLs     map[string]string `json:"cta_urls,omitempty"`
	TokenSHA256 string            `json:"token_sha256,omitempty"`
}

// AllowsOrigin reports whether origin is one of the partner's origins.
func (p *Partner) AllowsOrigin(origin string) bool {
	if slices.Contains(p.Origins, origin) { // already in normal form: the widget's case
		return true
	}
	o, err := NormalizeOrigin(origin)
	return err == nil && slices.Contains(p.Origins, o)
}

// Partners is the partner registry, read-only once built.
type Partners struct {
	byID    map[string]*Partner
	origins map[string]bool // every partner's origins, for CORS
}

// LoadPartners reads a partners file. An empty path gives an empty registry.
func LoadPartners(path string) (*Partners, error) {
	if path == "" {
		return NewPartners(nil)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("partners file: %w", err)
	}
	ps, err := ParsePartners(b)
	if err != nil {
		return nil, fmt.Errorf("partners file %s: %w", path, err)
	}
	return ps, nil
}

// ParsePartners decodes and validates a partners file; an error names the
// partner and the field.
func ParsePartners(b []byte) (*Partners, error) {
	var file struct {
		Partners []Partner `json:"partners"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return NewPartners(file.Partners)
}

// NewPartners validates partners and builds a registry of them. Origins are
// stored normalized.
func NewPartners(list []Partner) (*Partners, error) {
	ps := &Partners{byID: map[string]*Partner{}, origins: map[string]bool{}}
	var errs []error
	for i, p := range list {
		name := fmt.Sprintf("partners[%d]", i)
		if p.ID != "" {
			name = fmt.Sprintf("partner %q", p.ID)
		}
		bad := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s: %s", name, field, fmt.Sprintf(format, args...)))
		}
		if !content.ValidID(p.ID) {
			bad("id", "%q is not a valid id (lowercase letters, digits and dashes, at most 64)", p.ID)
		}
		if ps.byID[p.ID] != nil {
			bad("id", "is used by more than one partner")
		}
		if strings.TrimSpace(p.Name) == "" {
			bad("name", "is required")
		}
		// An empty list is a partner whose sites are not known yet: its
		// widget shows on no site, and the dashboard's Embed page tells it
		// what to ask for. A missing list is a mistake.
		if p.Origins == nil {
			bad("origins", "is required: the origins of the partner's pages, or [] until they are known")
		}
		origins := make([]string, 0, len(p.Origins))
		for j, o := range p.Origins {
			n, err := NormalizeOrigin(o)
			if err != nil {
				bad(fmt.Sprintf("origins[%d]", j), "%v", err)
				continue
			}
			origins = append(origins, n)
			ps.origins[n] = true
		}
		p.Origins = origins
		if p.CTAURL != "" {
			if u, err := url.Parse(p.CTAURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad("cta_url", "%q is not an absolute http(s) URL", p.CTAURL)
			}
		}
		for _, outcome := range slices.Sorted(maps.Keys(p.CTAURLs)) {
			if !content.ValidID(outcome) {
				bad("cta_urls", "%q is not an outcome", outcome)
			}
			if err := content.CheckURL(p.CTAURLs[outcome]); err != nil {
				bad("cta_urls."+outcome, "%v", err)
			}
		}
		if p.TokenSHA256 != "" {
			if b, err := hex.DecodeString(p.TokenSHA256); err != nil || len(b) != 32 {
				bad("token_sha256", "must be 64 hex digits (the SHA-256 that `forgefit token` prints)")
			}
		}
		ps.byID[p.ID] = &p
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ps, nil
}

// With returns a registry that also holds p (replacing a partner with the
// same id).
func (ps *Partners) With(p Partner) (*Partners, error) {
	list := make([]Partner, 0, len(ps.byID)+1)
	for _, q := range ps.byID {
		if q.ID != p.ID {
			list = append(list, *q)
		}
	}
	return NewPartners(append(list, p))
}

// Partner returns the partner with id.
func (ps *Partners) Partner(id string) (*Partner, bool) {
	p, ok := ps.byID[id]
	return p, ok
}

// IDs lists every partner id, sorted.
func (ps *Partners) IDs() []string {
	ids := make([]string, 0, len(ps.byID))
	for id := range ps.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// KnownOrigin reports whether origin belongs to any partner.
func (ps *Partners) KnownOrigin(origin string) bool {
	o, err := NormalizeOrigin(origin)
	return err == nil && ps.origins[o]
}

// NormalizeOrigin returns origin as a browser sends it in an Origin header:
// lowercase scheme and host, no default port, nothing after the host.
func NormalizeOrigin(origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%q is not an http(s) origin", origin)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q has more than scheme, host and port", origin)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host, nil
}
