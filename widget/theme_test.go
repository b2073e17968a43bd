//go:build !wasm

package widget

import (
	"fmt"
	"math"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestThemeFromQuery(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  theme
	}{
		{"", theme{View: "quiz", Scheme: "light"}},
		{"theme=dark", theme{View: "quiz", Scheme: "dark"}},
		{"theme=auto", theme{View: "quiz", Scheme: "auto"}},
		{"view=table", theme{View: "table", Scheme: "light"}},
		{"view=full&theme=dark", theme{View: "full", Scheme: "dark"}},
		{"view=sideways", theme{View: "quiz", Scheme: "light"}},
		{"origin=https%3A%2F%2Fwww.acme.com", theme{View: "quiz", Scheme: "light", Framed: true}},
		{"theme=light&accent=%23FC0", theme{View: "quiz", Scheme: "light", Accent: "#ffcc00", OnAccent: "#000000"}},
		{"accent=%231f4e79", theme{View: "quiz", Scheme: "light", Accent: "#1f4e79", OnAccent: "#ffffff"}},
		{"theme=purple&accent=red", theme{View: "quiz", Scheme: "light"}},
		{"accent=%23abcd", theme{View: "quiz", Scheme: "light"}},
		{"accent=%22%3E%3Cscript%3E", theme{View: "quiz", Scheme: "light"}},
		{"accent=%23ggg", theme{View: "quiz", Scheme: "light"}},
	} {
		q, _ := url.ParseQuery(tc.query)
		if diff := cmp.Diff(tc.want, themeFromQuery(urlParams(q))); diff != "" {
			t.Errorf("themeFromQuery(%q) (-want +got):\n%s", tc.query, diff)
		}
	}
}

// TestTextOnAccentIsReadable checks that text on any accent a partner can
// choose reaches WCAG AA's 4.5:1.
func TestTextOnAccentIsReadable(t *testing.T) {
	worst := 21.0
	for r := 0; r < 256; r += 15 {
		for g := 0; g < 256; g += 15 {
			for b := 0; b < 256; b += 15 {
				bg := fmt.Sprintf("#%02x%02x%02x", r, g, b)
				c := contrast(bg, textOn(bg))
				worst = min(worst, c)
				if c < 4.5 {
					t.Fatalf("text %s on %s: contrast %.2f, want at least 4.5", textOn(bg), bg, c)
				}
			}
		}
	}
	t.Logf("lowest contrast of text on an accent: %.2f", worst)
}

func TestLinearTable(t *testing.T) {
	for i, got := range srgbToLinear {
		v := float64(i) / 255
		if v <= 0.04045 {
			v /= 12.92
		} else {
			v = math.Pow((v+0.055)/1.055, 2.4)
		}
		if want := uint16(math.Round(v * 65535)); got != want {
			t.Errorf("srgbToLinear[%d] = %d, want %d", i, got, want)
		}
	}
}

// contrast is the WCAG contrast ratio of two #rrggbb colours: what the
// test holds textOn to. Only tests use it, so it lives here, out of the
// wasm build (staticcheck: unused there).
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
