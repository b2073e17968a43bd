package event

import (
	"fmt"
	"github.com/ehforge/forgefit/widget/content"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validate checks a batch against the vocabulary and the limits, with now
// as the server's time. It returns the first problem as an *Error naming
// the field, such as "events[3].data.option: …"; one bad event rejects the
// whole batch, so a client learns of a bug instead of losing part of its
// data silently.
//
// Validate sees only values: a zero string, a nil pointer and a nil slice
// count as absent. Decode also rejects keys that the JSON should not have.
func (b *Batch) Validate(now time.Time) error {
	if err := b.validateContext(); err != nil {
		return err
	}
	switch {
	case len(b.Events) == 0:
		return invalid("events", "a batch needs at least one event")
	case len(b.Events) > MaxEvents:
		return fieldError(ETooLarge, "events", "%d events, at most %d a batch", len(b.Events), MaxEvents)
	}
	for i := range b.Events {
		if err := b.Events[i].validate(i, now); err != nil {
			return err
		}
	}
	return nil
}

func (b *Batch) validateContext() error {
	if b.Partner == "" {
		return invalid("partner", "is required")
	}
	if !content.ValidID(b.Partner) {
		return invalid("partner", "%q is not a valid id", b.Partner)
	}
	if b.Widget == "" {
		return invalid("widget", "is required")
	}
	if !content.ValidID(b.Widget) {
		return invalid("widget", "%q is not a valid id", b.Widget)
	}
	if b.View != "" && !validToken(b.View) {
		return invalid("view", "%q is not a valid view id (letters, digits, '.', '_' and '-', at most %d)", b.View, MaxIDBytes)
	}
	if b.Locale != "" && !content.ValidLocale(b.Locale) {
		return invalid("locale", "%q is not a valid locale", b.Locale)
	}
	if b.ContentVersion != "" && !validToken(b.ContentVersion) {
		return invalid("content_version", "%q is not a valid version", b.ContentVersion)
	}
	if err := b.Page.validate(); err != nil {
		return err
	}
	return b.UTM.validate()
}

func (p Page) validate() error {
	if p.Origin == "" && p.Path == "" {
		return nil
	}
	if p.Origin == "" {
		return invalid("page.origin", "is required with a page")
	}
	if len(p.Origin) > MaxOrigin || !ValidOrigin(p.Origin) {
		return invalid("page.origin", "%q is not an origin as location.origin gives it", short(p.Origin))
	}
	if p.Path == "" {
		return nil
	}
	if len(p.Path) > MaxPathBytes {
		return invalid("page.path", "is %d bytes, at most %d", len(p.Path), MaxPathBytes)
	}
	if p.Path[0] != '/' {
		return invalid("page.path", "%q does not start with /", short(p.Path))
	}
	for i := 0; i < len(p.Path); i++ {
		switch c := p.Path[i]; {
		case c == '?' || c == '#':
			// A query string can carry personal data (emails, tokens):
			// we keep the path only.
			return invalid("page.path", "must not have a query string or fragment")
		case c <= ' ' || c >= 0x7f:
			// location.pathname is percent-encoded: raw spaces, control
			// characters or non-ASCII bytes mean it is not one.
			return invalid("page.path", "has a character location.pathname never has at byte %d", i)
		}
	}
	return nil
}

func (u UTM) validate() error {
	for _, f := range []struct{ name, v string }{
		{"utm.source", u.Source}, {"utm.medium", u.Medium}, {"utm.campaign", u.Campaign},
		{"utm.term", u.Term}, {"utm.content", u.Content},
	} {
		if len(f.v) > MaxUTMBytes {
			return invalid(f.name, "is %d bytes, at most %d", len(f.v), MaxUTMBytes)
		}
		if !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, unicode.IsControl) {
			return invalid(f.name, "has invalid UTF-8 or a control character")
		}
	}
	return nil
}

func (e *Event) validate(index int, now time.Time) error {
	path := "events[" + strconv.Itoa(index) + "]"
	if e.ID == "" {
		return invalid(path+".id", "is required")
	}
	if !ValidUUIDv7(e.ID) {
		return invalid(path+".id", "%q is not a lowercase UUIDv7", short(e.ID))
	}
	if e.Type == "" {
		return invalid(path+".type", "is required")
	}
	if !e.Type.Valid() {
		return invalid(path+".type", "%q is not an event type", short(string(e.Type)))
	}
	if e.At.IsZero() {
		return invalid(path+".at", "is required")
	}
	if d := e.At.Sub(now); d > MaxSkew || d < -MaxSkew {
		return invalid(path+".at", "%s is more than %s from the server's time %s",
			e.At.Format(time.RFC3339), MaxSkew, now.UTC().Format(time.RFC3339))
	}
	return e.Data.validate(path+".data", e.Type)
}

// dataKeys lists every data key any type may carry, in Data's order.
var dataKeys = []string{"question", "option", "index", "outcome", "margin", "faq", "shared", "undecided", "cta"}

// has reports whether the data key is present.
func (d *Data) has(key string) bool {
	switch key {
	case "question":
		return d.Question != ""
	case "option":
		return d.Option != ""
	case "index":
		return d.Index != nil
	case "outcome":
		return d.Outcome != ""
	case "margin":
		return d.Margin != nil
	case "faq":
		return d.FAQ != ""
	case "shared":
		return d.Shared != nil
	case "undecided":
		return d.Undecided != nil
	case "cta":
		return d.CTA != ""
	}
	return false
}

func (d *Data) validate(path string, t Type) error {
	for _, f := range Fields[t] {
		if f.Required && !d.has(f.Key) {
			return invalid(path+"."+f.Key, "is required for %s", t)
		}
	}
	for _, k := range dataKeys {
		if d.has(k) && !t.has(k) {
			return invalid(path+"."+k, "is not a field of %s", t)
		}
	}
	for _, f := range []struct{ key, v string }{
		{"question", d.Question}, {"option", d.Option}, {"faq", d.FAQ}, {"cta", d.CTA},
	} {
		if f.v != "" && !content.ValidID(f.v) {
			return invalid(path+"."+f.key, "%q is not a valid id", short(f.v))
		}
	}
	if d.Index != nil && (*d.Index < 0 || *d.Index > MaxIndex) {
		return invalid(path+".index", "%d is not from 0 to %d", *d.Index, MaxIndex)
	}
	if d.Outcome != "" && !d.Outcome.Valid() {
		return invalid(path+".outcome", "%q is not %s, %s or %s", short(string(d.Outcome)), CoManaged, FullyManaged, Either)
	}
	if m := d.Margin; m != nil && (math.IsNaN(*m) || *m < 0 || *m > 1) {
		return invalid(path+".margin", "%v is not from 0 to 1", *m)
	}
	if d.Shared == nil && d.Undecided == nil {
		return nil
	}
	seen := map[string]string{}
	for _, l := range []struct {
		key string
		ids []string
	}{{"shared", d.Shared}, {"undecided", d.Undecided}} {
		if len(l.ids) > MaxListLength {
			return invalid(path+"."+l.key, "has %d ids, at most %d", len(l.ids), MaxListLength)
		}
		for i, id := range l.ids {
			field := fmt.Sprintf("%s.%s[%d]", path, l.key, i)
			if !content.ValidID(id) {
				return invalid(field, "%q is not a valid id", short(id))
			}
			// Each responsibility has one answer; counting it twice would
			// skew the worksheet figures.
			if other, dup := seen[id]; dup {
				return invalid(field, "%q is already in %s", id, other)
			}
			seen[id] = l.key
		}
	}
	return nil
}

// validToken reports whether s is an opaque id made by a program (a view
// id, a content version): letters, digits, '.', '_' and '-', at most 64
// bytes.
func validToken(s string) bool {
	if len(s) == 0 || len(s) > MaxIDBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ValidUUIDv7 reports whether s is a UUID of version 7 (RFC 9562) in its
// canonical lowercase form. One spelling per id keeps deduplication exact.
func ValidUUIDv7(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return s[14] == '7' && strings.IndexByte("89ab", s[19]) >= 0
}

// ValidOrigin reports whether s is an http(s) origin the way a browser
// serializes it: lowercase scheme and host, no default port, nothing after
// the host. Partners' origins are compared in that form.
func ValidOrigin(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Opaque != "" {
		return false
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); p == "" && strings.HasSuffix(host, ":") ||
		u.Scheme == "http" && p == "80" || u.Scheme == "https" && p == "443" {
		return false
	}
	return s == u.Scheme+"://"+host
}

// short cuts a value quoted in an error message, so a hostile client
// cannot make our errors (and logs) as big as its body.
func short(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
