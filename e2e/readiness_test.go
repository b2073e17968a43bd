//go:build linux

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sys/unix"
)

// TestReadinessFollowsStoreWrites runs the real server on a real SQLite
// file and takes its disk away: the test sets the server process's
// RLIMIT_FSIZE to 0 with prlimit(2), after which the kernel refuses every
// write that would grow a file (EFBIG), the WAL's appends included, as a
// full disk refuses them. It is the honest way that works as root, where
// file permissions do not hold, and needs no mount, no chattr and no
// capability: a process may lower its own user's processes' soft limits
// and raise them back up to the hard limit.
//
// While writes fail, events get 503 and /readyz 503, though the process
// is alive and the file still opens (/healthz 200). Once the disk is back,
// with no events coming (a balancer sends none to an unready server),
// /readyz turns 200 by its write probe; events then get 202, and exactly
// the acknowledged ones are in the file.
func TestReadinessFollowsStoreWrites(t *testing.T) {
	p := startProduct(t)
	pid := p.proc.Pid()
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	acked, refused := map[string]bool{}, map[string]bool{}
	send := func() int {
		t.Helper()
		id := uuid.Must(uuid.NewV7()).String()
		body := fmt.Sprintf(`{"partner":"demo","widget":"co-managed-vs-fully-managed","page":{"origin":%q,"path":"/"},`+
			`"events":[{"id":%q,"type":"faq_opened","at":%q,"data":{"faq":"m365-and-security"}}]}`,
			p.DemoURL, id, time.Now().UTC().Format(time.RFC3339Nano))
		req, _ := http.NewRequest("POST", p.URL+"/api/v1/events", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", p.URL)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusAccepted:
			acked[id] = true
		case http.StatusServiceUnavailable:
			if res.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			refused[id] = true
		}
		return res.StatusCode
	}

	if got := send(); got != 202 {
		t.Fatalf("healthy: events answered %d", got)
	}
	if got, _ := get("/readyz"); got != 200 {
		t.Fatalf("healthy: /readyz %d", got)
	}

	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old); err != nil {
		t.Fatalf("reading the server's RLIMIT_FSIZE: %v", err)
	}
	full := unix.Rlimit{Cur: 0, Max: old.Max}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &full, nil); err != nil {
		t.Fatalf("filling the server's disk (prlimit RLIMIT_FSIZE 0): %v", err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &old, nil); err != nil {
				t.Fatalf("restoring the server's RLIMIT_FSIZE: %v", err)
			}
		}
	}
	defer restore()

	if got := send(); got != 503 {
		t.Fatalf("disk full: events answered %d, want 503", got)
	}
	if got, body := get("/readyz"); got != 503 || !strings.Contains(body, "writes failing") {
		t.Fatalf("disk full: /readyz %d %q, want 503 saying writes fail", got, body)
	}
	if got, _ := get("/healthz"); got != 200 {
		t.Errorf("disk full: /healthz %d, want 200 (the process is alive)", got)
	}
	if got := send(); got != 503 {
		t.Fatalf("disk full: events answered %d, want 503", got)
	}
	if got, _ := get("/readyz"); got != 503 {
		t.Fatalf("disk full: /readyz %d on asking again", got)
	}

	restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, _ := get("/readyz")
		if got == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("disk back, no events sent: /readyz still %d after 15 s\n%s", got, p.proc.Output().String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := send(); got != 202 {
		t.Fatalf("disk back: events answered %d", got)
	}
	for _, e := range storedEvents(t, p.DB) {
		if refused[e.ID] {
			t.Errorf("event %s got a 503 but is stored", e.ID)
		}
		delete(acked, e.ID)
	}
	if len(acked) != 0 {
		t.Errorf("%d acknowledged events are not stored", len(acked))
	}
	if !strings.Contains(p.proc.Output().String(), "store not ready: its last write failed") {
		t.Error("the server logged nothing about its failing writes")
	}
}
