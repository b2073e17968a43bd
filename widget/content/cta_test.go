package content

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAttributedCTA(t *testing.T) {
	for _, tc := range []struct {
		name, raw, partner, want string
	}{
		{"plain", "https://example.com/contact", "acme",
			"https://example.com/contact?utm_campaign=acme&utm_medium=partner&utm_source=forgefit"},
		{"keeps the query", "https://example.com/contact?ref=fit&lang=de", "acme",
			"https://example.com/contact?lang=de&ref=fit&utm_campaign=acme&utm_medium=partner&utm_source=forgefit"},
		{"ours replace the URL's utm", "https://example.com/?utm_source=x&utm_campaign=y", "demo",
			"https://example.com/?utm_campaign=demo&utm_medium=partner&utm_source=forgefit"},
		{"keeps the fragment", "https://example.com/c#form", "acme",
			"https://example.com/c?utm_campaign=acme&utm_medium=partner&utm_source=forgefit#form"},
		{"bad partner id left out", "https://example.com/c", `"><x`,
			"https://example.com/c?utm_medium=partner&utm_source=forgefit"},
		{"quotes encoded", `https://example.com/a"b?q="x"`, "acme",
			"https://example.com/a%22b?q=%22x%22&utm_campaign=acme&utm_medium=partner&utm_source=forgefit"},
		{"no character references in the path", "https://example.com/a&amp;b", "acme",
			"https://example.com/a%26amp;b?utm_campaign=acme&utm_medium=partner&utm_source=forgefit"},
		{"javascript refused", "javascript:alert(1)", "acme", ""},
		{"relative refused", "/contact", "acme", ""},
		{"empty refused", "", "acme", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, AttributedCTA(tc.raw, tc.partner)); diff != "" {
				t.Errorf("AttributedCTA(%q, %q) (-want +got):\n%s", tc.raw, tc.partner, diff)
			}
		})
	}
}
