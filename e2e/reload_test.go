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
	waitStatus := func(partner string, want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for status(partner) != want {
			if time.Now().After(deadline) {
				t.Fatalf("partner %s: status %d, want %d after SIGHUP", partner, status(partner), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got := status("globex"); got != 404 {
		t.Fatalf("unregistered partner: %d, want 404", got)
	}
	write(`{"partners":[{"id":"acme","name":"Acme","origins":["https://www.acme.com"]},{"id":"globex","name":"Globex","origins":["https://globex.example"]}]}`)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitStatus("globex", 200)
	if status("demo") != 200 {
		t.Error("the demo partner was lost on reload")
	}

	write(`{"partners":[{"id":"acme","name":"","origins":["not an origin"]}]}`)
	p.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.out.String(), "partners file refused") {
		if time.Now().After(deadline) {
			t.Fatal("no log line refusing the broken partners file")
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.out.String(), "partners file reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload logged after SIGHUP\n%s", p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
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
