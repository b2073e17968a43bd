package server

import (
	"strings"
	"testing"

	"github.com/ehforge/forgefit/widget/content"
)

func TestCheckCTAsRefusesPlaceholders(t *testing.T) {
	lib, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		partner Partner
		says    []string // in the error; none means no error
	}{
		{"the default content's URL", Partner{ID: "acme", Name: "Acme", Origins: []string{"https://acme.com"}},
			[]string{`partner "acme"`, "https://example.com/contact", "set cta_url"}},
		{"a URL of the partner's", Partner{ID: "acme", Name: "Acme", Origins: []string{"https://acme.com"}, CTAURL: "https://acme.com/talk"}, nil},
		{"one outcome left on a test host", Partner{ID: "acme", Name: "Acme", Origins: []string{"https://acme.com"}, CTAURL: "https://acme.com/talk",
			CTAURLs: map[string]string{"either": "https://talk.acme.test/"}}, []string{"with the either result", "https://talk.acme.test/"}},
		{"a subdomain of example.org", Partner{ID: "acme", Name: "Acme", Origins: []string{"https://acme.com"}, CTAURL: "https://www.EXAMPLE.org./x"}, []string{"EXAMPLE.org"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := NewPartners([]Partner{tc.partner})
			if err != nil {
				t.Fatal(err)
			}
			err = CheckCTAs(lib, ps)
			if len(tc.says) == 0 {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestPartnerCTAPerOutcome(t *testing.T) {
	lib, _ := content.Default()
	w, _ := lib.Widget("co-managed-vs-fully-managed", "en")
	p := &Partner{ID: "acme", CTAURL: "https://acme.com/talk", CTAURLs: map[string]string{"fully-managed": "https://acme.com/managed"}}
	c := partnerCTA(w, p)
	got := map[string]string{}
	for _, o := range c.Outcomes {
		label, u := c.For(o.Outcome)
		got[o.Outcome] = u
		if want, _ := w.CTA.For(o.Outcome); label != want {
			t.Errorf("%s: label %q, want the content's %q", o.Outcome, label, want)
		}
	}
	want := map[string]string{"co-managed": "https://acme.com/talk", "fully-managed": "https://acme.com/managed", "either": "https://acme.com/talk"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if _, u := c.For(""); u != "https://acme.com/talk" {
		t.Errorf("no outcome: %q, want the partner's general URL", u)
	}
	if c := partnerCTA(w, nil); c.URL != w.CTA.URL {
		t.Errorf("no partner: %q, want the content's %q", c.URL, w.CTA.URL)
	}
}
