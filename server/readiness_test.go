//go:build linux

package server_test

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/ehforge/forgefit/server"
)

// TestReadyzTellsWhenWritesFail fills the disk for the SQLite store's
// process, as far as the store can tell: with RLIMIT_FSIZE at 0 the kernel
// refuses every write that would grow a file (EFBIG; Go ignores the
// SIGXFSZ that comes with it), which is what a full disk does to the WAL,
// and which holds for root too, unlike file permissions. While writes
// fail, /readyz answers 503 though the store still answers pings; it
// answers 200 again once a write succeeds: a write probe of its own when no
// events come, or a commit of events.
func TestReadyzTellsWhenWritesFail(t *testing.T) {
	e := newIngestEnv(t, nil)
	clock := server.SetTestClock(e.srv)
	ready := func() (int, string) {
		t.Helper()
		res, err := http.Get(e.http.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	send := func() int {
		t.Helper()
		res, _ := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))})
		return res.StatusCode
	}
	if got := send(); got != 202 {
		t.Fatalf("healthy store: %d", got)
	}
	if got, _ := ready(); got != 200 {
		t.Fatalf("healthy store: /readyz %d", got)
	}

	for _, recover := range []string{"probe", "commit"} {
		fill := diskFull(t)
		if got := send(); got != 503 {
			t.Fatalf("full disk: events answered %d, want 503", got)
		}
		if got, body := ready(); got != 503 || !strings.Contains(body, "writes failing") {
			t.Fatalf("full disk: /readyz %d %q, want 503 saying writes fail", got, body)
		}
		if got, _ := ready(); got != 503 {
			t.Fatalf("full disk: /readyz %d on asking again", got)
		}
		fill()
		switch recover {
		case "probe":
			// No events come (the balancer sends none to a server it finds
			// unready): readiness probes at most once every ProbeEvery, by
			// the server's clock, so once that has passed, the next
			// /readyz probes, and the probe succeeds.
			clock.Advance(server.ProbeEvery)
			if got, body := ready(); got != 200 {
				t.Fatalf("disk free again, no events, %s later: /readyz %d %q, want 200", server.ProbeEvery, got, body)
			}
			if got := send(); got != 202 {
				t.Fatalf("after recovery: events answered %d", got)
			}
		case "commit":
			if got := send(); got != 202 {
				t.Fatalf("disk free again: events answered %d", got)
			}
			if got, body := ready(); got != 200 {
				t.Fatalf("after a commit succeeded: /readyz %d %q", got, body)
			}
		}
	}
}

// diskFull makes every write that grows a file fail in this process and
// returns the function that ends it (also called when the test ends).
func diskFull(t *testing.T) (free func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	full := old
	full.Cur = 0
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		t.Fatalf("setting RLIMIT_FSIZE: %v", err)
	}
	done := false
	free = func() {
		if done {
			return
		}
		done = true
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatalf("restoring RLIMIT_FSIZE: %v", err)
		}
	}
	t.Cleanup(free)
	return free
}
