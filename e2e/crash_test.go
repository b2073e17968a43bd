package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestCrashLosesNothingAcknowledged posts events under load, kills the
// server with SIGKILL mid-load, restarts it on the same database and
// checks that every event that got a 202 is stored exactly once.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	unlimited := []string{"-client-rate", "0", "-partner-rate", "0"}
	port, demoPort := freePort(t), freePort(t)
	db := t.TempDir() + "/forgefit.db"
	p := startProductAt(t, port, demoPort, db, unlimited...)

	client := &http.Client{Timeout: 5 * time.Second}
	var mu sync.Mutex
	acked := map[string]bool{}
	loaded := newProgress()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLoad()
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ids := make([]string, 5)
				events := make([]string, 5)
				at := time.Now().UTC().Format(time.RFC3339Nano)
				for i := range ids {
					ids[i] = uuid.Must(uuid.NewV7()).String()
					events[i] = fmt.Sprintf(`{"id":%q,"type":"faq_opened","at":%q,"data":{"faq":"m365-and-security"}}`, ids[i], at)
				}
				body := fmt.Sprintf(`{"partner":"demo","widget":"co-managed-vs-fully-managed","page":{"origin":%q,"path":"/"},"events":[%s]}`,
					p.DemoURL, strings.Join(events, ","))
				req, _ := http.NewRequest("POST", p.URL+"/api/v1/events", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Origin", p.URL)
				req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
				res, err := client.Do(req)
				if err != nil {
					continue // the server is gone; keep trying until stopped
				}
				res.Body.Close()
				if res.StatusCode == http.StatusAccepted {
					mu.Lock()
					for _, id := range ids {
						acked[id] = true
					}
					mu.Unlock()
					loaded.notify()
				}
			}
		})
	}
	// Kill mid-load: once the load is under way (200 batches
	// acknowledged), with the workers still posting.
	const underWay = 200 * 5
	if !loaded.wait(30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= underWay
	}) {
		t.Fatalf("fewer than %d events acknowledged after 30 s of load", underWay)
	}
	p.Kill(t)
	// The server is gone once Kill returns: nothing the workers post from
	// now on can be acknowledged, so they can stop at once.
	stopLoad()

	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n == 0 {
		t.Fatal("no event was acknowledged before the kill: the load did not run")
	}
	p2 := startProductAt(t, port, demoPort, db, unlimited...)
	seen := map[string]int{}
	for _, e := range storedEvents(t, p2.DB) {
		seen[e.ID]++
	}
	lost, doubled := 0, 0
	for id := range acked {
		switch seen[id] {
		case 0:
			lost++
		case 1:
		default:
			doubled++
		}
	}
	t.Logf("%d events acknowledged before SIGKILL, %d stored", n, len(seen))
	if lost > 0 || doubled > 0 {
		t.Errorf("of %d acknowledged events, %d were lost and %d stored twice", n, lost, doubled)
	}
}
