package e2e

import (
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPartnersReloadOnSIGHUP adds a partner to the partners file and
// signals the server; a broken file afterwards is refused and the partners
// in use stay.
func TestPartnersReloadOnSIGHUP(t *testing.T) {
	file := filepath.Join(t.TempDir(), "partners.json")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"partners":[{"id":"acme","name":"Acme","origins":["https://www.acme.com"]}]}`)
	p := startProduct(t, "-partners", file)
	status := func(partner string) int {
		res, err := http.Get(p.URL + "/w/co-managed-vs-fully-managed?partner=" + partner)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := status("globex"); got != 404 {
		t.Fatalf("unregistered partner: %d, want 404", got)
	}
	write(`{"partners":[{"id":"acme","name":"Acme","origins":["https://www.acme.com"]},{"id":"globex","name":"Globex","origins":["https://globex.example"]}]}`)
	mark := p.proc.Output().Mark()
	if err := p.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The server logs the reload once the new partners are in use.
	p.waitLog(t, mark, "partners file reloaded")
	if got := status("globex"); got != 200 {
		t.Fatalf("partner globex: status %d after the reload, want 200", got)
	}
	if status("demo") != 200 {
		t.Error("the demo partner was lost on reload")
	}

	write(`{"partners":[{"id":"acme","name":"","origins":["not an origin"]}]}`)
	mark = p.proc.Output().Mark()
	if err := p.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, mark, "partners file refused")
	if got := status("globex"); got != 200 {
		t.Errorf("after a refused reload: globex %d, want 200 (the old partners stay)", got)
	}
}

// TestReloadedCallToActionReachesTheNextPage changes a partner's cta_url
// and reloads the partners file: the next GET of the widget page, sent as
// a browser revalidating what it had (If-None-Match of go-app's version,
// If-Modified-Since), is a full 200 with no validator to revalidate
// against, and its call to action leads to the new URL. (Issue 17, item 7:
// the page is no-store, without ETag or Last-Modified.)
func TestReloadedCallToActionReachesTheNextPage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "partners.json")
	write := func(cta string) {
		t.Helper()
		s := `{"partners":[{"id":"acme","name":"Acme","origins":["https://www.acme.com"],"cta_url":"` + cta + `"}]}`
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("https://www.acme.com/contact")
	p := startProduct(t, "-partners", file)
	const page = "/w/co-managed-vs-fully-managed?partner=acme"
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, header map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", p.URL+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	// ctaTarget follows the page's call to action (through our /cta,
	// which records the click) to where it sends the visitor.
	ctaTarget := func(body string) string {
		t.Helper()
		m := regexp.MustCompile(`href="(/w/co-managed-vs-fully-managed/cta\?[^"]*)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("the page has no call to action link")
		}
		res, _ := get(html.UnescapeString(m[1]), nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the call to action answered %d, want 303", res.StatusCode)
		}
		return res.Header.Get("Location")
	}
	validators := func(res *http.Response) {
		t.Helper()
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" || res.Header.Get("ETag") != "" || res.Header.Get("Last-Modified") != "" {
			t.Errorf("Cache-Control %q, ETag %q, Last-Modified %q: want no-store and no validator", cc, res.Header.Get("ETag"), res.Header.Get("Last-Modified"))
		}
	}

	res, body := get(page, nil)
	if res.StatusCode != 200 {
		t.Fatalf("widget page: %d", res.StatusCode)
	}
	validators(res)
	if to := ctaTarget(body); !strings.HasPrefix(to, "https://www.acme.com/contact?") {
		t.Fatalf("before the reload the call to action goes to %s", to)
	}
	version := regexp.MustCompile(`data-version="([^"]+)"`).FindStringSubmatch(body)
	if version == nil {
		t.Fatal("no go-app version in the page")
	}

	write("https://www.acme.com/talk-to-us")
	mark := p.proc.Output().Mark()
	if err := p.proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, mark, "partners file reloaded")
	res, body = get(page, map[string]string{
		"If-None-Match":     `"` + version[1] + `"`,
		"If-Modified-Since": time.Now().UTC().Format(http.TimeFormat),
	})
	if res.StatusCode != 200 {
		t.Fatalf("a revalidation after the reload got %d, want the page (200)", res.StatusCode)
	}
	validators(res)
	if to := ctaTarget(body); !strings.HasPrefix(to, "https://www.acme.com/talk-to-us?") {
		t.Errorf("after the reload the call to action goes to %s, want the new cta_url", to)
	}
	if strings.Contains(body, "www.acme.com/contact") {
		t.Error("the page after the reload still holds the old cta_url")
	}
}
