package e2e

import (
	"net/http"
	"os"
	"path/filepath"
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
