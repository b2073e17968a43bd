package server

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://www.acme.com", "https://www.acme.com"},
		{"HTTPS://WWW.Acme.com:443", "https://www.acme.com"},
		{"http://127.0.0.1:8081/", "http://127.0.0.1:8081"},
		{"http://[::1]:80", "http://[::1]"},
		{"https://acme.com/path", ""},
		{"ftp://acme.com", ""},
		{"acme.com", ""},
		{"https://user@acme.com", ""},
		{"https://acme.com?x=1", ""},
	} {
		got, err := NormalizeOrigin(tc.in)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParsePartnersErrorsNameThePartnerAndField(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{`{"partners":[{"id":"acme","name":"Acme","origins":["https://acme.com/x"]}]}`, `partner "acme": origins[0]:`},
		{`{"partners":[{"id":"acme","name":"","origins":["https://acme.com"]}]}`, `partner "acme": name: is required`},
		{`{"partners":[{"id":"Acme!","name":"A","origins":["https://acme.com"]}]}`, `partner "Acme!": id:`},
		{`{"partners":[{"id":"acme","name":"A"}]}`, `partner "acme": origins: is required`},
		{`{"partners":[{"id":"acme","name":"A","origins":["https://a.com"],"cta_url":"javascript:x"}]}`, `partner "acme": cta_url:`},
		{`{"partners":[{"id":"acme","name":"A","origins":["https://a.com"],"token_sha256":"abc"}]}`, `partner "acme": token_sha256:`},
		{`{"partners":[{"id":"a","name":"A","origins":["https://a.com"]},{"id":"a","name":"B","origins":["https://b.com"]}]}`, `partner "a": id: is used by more than one partner`},
		{`{"partners":[{"id":"a","name":"A","origins":["https://a.com"],"colour":"red"}]}`, `unknown field "colour"`},
	} {
		_, err := ParsePartners([]byte(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePartners(%s) = %v, want an error containing %q", tc.file, err, tc.want)
		}
	}
}

func TestPartners(t *testing.T) {
	ps, err := ParsePartners([]byte(`{"partners":[{"id":"acme","name":"Acme","origins":["https://WWW.acme.com"],
		"cta_url":"https://acme.com/contact","token_sha256":"` + TokenHash("t") + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ps, err = ps.With(Partner{ID: "demo", Name: "Demo", Origins: []string{"http://127.0.0.1:8081"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme", "demo"}, ps.IDs()); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	acme, _ := ps.Partner("acme")
	if !acme.AllowsOrigin("https://www.acme.com:443") || acme.AllowsOrigin("http://127.0.0.1:8081") {
		t.Error("AllowsOrigin does not follow the partner's own origins")
	}
	if !ps.KnownOrigin("http://127.0.0.1:8081") || ps.KnownOrigin("https://evil.example") {
		t.Error("KnownOrigin is wrong")
	}
}
