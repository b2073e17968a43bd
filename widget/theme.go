package widget

import "strings"

// theme is how the widget looks, from the page query the loader passes:
// both the server's prerender and the client read it from the same URL, so
// their renders agree.
type theme struct {
	_ noCompare // see noCompare

	// Scheme is "light", "dark" or "auto" (follow the visitor's system).
	Scheme string
	// Accent is the partner's colour as #rrggbb, or empty for ours;
	// OnAccent is the text colour that reads best on it.
	Accent, OnAccent string
	// Framed is set when a partner's page frames the widget (the loader
	// passed its origin): the loader sizes the frame to the content, so
	// the page shows no scrollbar, whose gutter would otherwise narrow the
	// text until the frame grows and then shift every line below.
	Framed bool
	// View is the layout the partner chose (data-forgefit-view): "quiz",
	// the default, opens on the fit questions with the comparison table
	// below them and the rest of the article folded; "table" puts the
	// table first; "full" shows the whole article, unfolded.
	View string
}

// themeFromQuery reads theme and accent from q. Anything malformed is
// ignored, never echoed: the server validates them already, and the client
// checks again because the values reach the page's styles.
func themeFromQuery(q params) theme {
	t := theme{Scheme: "light"}
	switch s := q.get("theme"); s {
	case "light", "dark", "auto":
		t.Scheme = s
	}
	if a, ok := parseAccent(q.get("accent")); ok {
		t.Accent = a
		t.OnAccent = textOn(a)
	}
	_, t.Framed = q("origin")
	t.View = "quiz"
	switch v := q.get("view"); v {
	case "table", "full":
		t.View = v
	}
	return t
}

// className is the root element's class for the scheme.
func (t theme) className() string {
	if t.Framed {
		return "ff ff-framed ff-theme-" + t.Scheme
	}
	return "ff ff-theme-" + t.Scheme
}

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
		return float64(srgbToLinear[unhex(hex[i])<<4|unhex(hex[i+1])]) / 65535
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
}

// srgbToLinear is WCAG's linearisation of an sRGB channel (0 to 255), times
// 65535: ((v/255+0.055)/1.055)^2.4, or v/255/12.92 for small v. A table
// rather than math.Pow, which would bring its code into app.wasm;
// TestLinearTable checks it.
var srgbToLinear = [256]uint16{
	0, 20, 40, 60, 80, 99, 119, 139, 159, 179, 199, 219, 241, 264, 288, 313,
	340, 367, 396, 427, 458, 491, 526, 562, 599, 637, 677, 718, 761, 805, 851, 898,
	947, 997, 1048, 1101, 1156, 1212, 1270, 1330, 1391, 1453, 1517, 1583, 1651, 1720, 1790, 1863,
	1937, 2013, 2090, 2170, 2250, 2333, 2418, 2504, 2592, 2681, 2773, 2866, 2961, 3058, 3157, 3258,
	3360, 3464, 3570, 3678, 3788, 3900, 4014, 4129, 4247, 4366, 4488, 4611, 4736, 4864, 4993, 5124,
	5257, 5392, 5530, 5669, 5810, 5953, 6099, 6246, 6395, 6547, 6700, 6856, 7014, 7174, 7335, 7500,
	7666, 7834, 8004, 8177, 8352, 8528, 8708, 8889, 9072, 9258, 9445, 9635, 9828, 10022, 10219, 10417,
	10619, 10822, 11028, 11235, 11446, 11658, 11873, 12090, 12309, 12530, 12754, 12980, 13209, 13440, 13673, 13909,
	14146, 14387, 14629, 14874, 15122, 15371, 15623, 15878, 16135, 16394, 16656, 16920, 17187, 17456, 17727, 18001,
	18277, 18556, 18837, 19121, 19407, 19696, 19987, 20281, 20577, 20876, 21177, 21481, 21787, 22096, 22407, 22721,
	23038, 23357, 23678, 24002, 24329, 24658, 24990, 25325, 25662, 26001, 26344, 26688, 27036, 27386, 27739, 28094,
	28452, 28813, 29176, 29542, 29911, 30282, 30656, 31033, 31412, 31794, 32179, 32567, 32957, 33350, 33745, 34143,
	34544, 34948, 35355, 35764, 36176, 36591, 37008, 37429, 37852, 38278, 38706, 39138, 39572, 40009, 40449, 40891,
	41337, 41785, 42236, 42690, 43147, 43606, 44069, 44534, 45002, 45473, 45947, 46423, 46903, 47385, 47871, 48359,
	48850, 49344, 49841, 50341, 50844, 51349, 51858, 52369, 52884, 53401, 53921, 54445, 54971, 55500, 56032, 56567,
	57105, 57646, 58190, 58737, 59287, 59840, 60396, 60955, 61517, 62082, 62650, 63221, 63795, 64372, 64952, 65535,
}

func unhex(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}

// noCompare makes a struct type incomparable, so the linker gives it no
// equality function: it would be kept in app.wasm with the type, for an ==
// that nothing uses. First in the struct, it adds no padding.
type noCompare [0]func()
