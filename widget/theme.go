package widget

import (
	"math"
	"net/url"
	"strings"
)

// theme is how the widget looks, from the page query the loader passes:
// both the server's prerender and the client read it from the same URL, so
// their renders agree.
type theme struct {
	// Scheme is "light", "dark" or "auto" (follow the visitor's system).
	Scheme string
	// Accent is the partner's colour as #rrggbb, or empty for ours;
	// OnAccent is the text colour that reads best on it.
	Accent, OnAccent string
}

// themeFromQuery reads theme and accent from q. Anything malformed is
// ignored, never echoed: the server validates them already, and the client
// checks again because the values reach the page's styles.
func themeFromQuery(q url.Values) theme {
	t := theme{Scheme: "auto"}
	switch s := q.Get("theme"); s {
	case "light", "dark":
		t.Scheme = s
	}
	if a, ok := parseAccent(q.Get("accent")); ok {
		t.Accent = a
		t.OnAccent = textOn(a)
	}
	return t
}

// className is the root element's class for the scheme.
func (t theme) className() string { return "ff ff-theme-" + t.Scheme }

// parseAccent accepts #rgb or #rrggbb (any case) and returns it as
// lowercase #rrggbb.
func parseAccent(s string) (string, bool) {
	s = strings.ToLower(s)
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return "", false
	}
	for _, c := range s[1:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	if len(s) == 4 {
		s = string([]byte{'#', s[1], s[1], s[2], s[2], s[3], s[3]})
	}
	return s, true
}

// textOn returns the text colour (black or white) with the higher contrast
// on the #rrggbb background bg. One of the two always reaches at least
// 4.58:1, so text on a partner's accent stays readable (WCAG AA); a
// near-black would not always.
func textOn(bg string) string {
	l := luminance(bg)
	if (l+0.05)/0.05 >= 1.05/(l+0.05) {
		return "#000000"
	}
	return "#ffffff"
}

// luminance is the WCAG relative luminance of a #rrggbb colour.
func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v := float64(unhex(hex[i])<<4|unhex(hex[i+1])) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
}

func unhex(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
