package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/stats"
	"github.com/ehforge/forgefit/store"
	"github.com/ehforge/forgefit/store/pgtest"
	"github.com/ehforge/forgefit/store/postgres"
	"github.com/ehforge/forgefit/store/storetest"
)

// TestMain shares one throwaway PostgreSQL server between the tests that
// need one (it starts on first use).
func TestMain(m *testing.M) { pgtest.Main(m) }

// TestSeveralServersOneDatabase runs two forgefit processes on one new
// PostgreSQL database, started together (so both migrate at once), and
// posts events to both over HTTP, many of them to both (a browser retry
// that the load balancer sent to the other server). Mid-load one server
// is killed with SIGKILL; the load moves to the other, which keeps
// serving. In the end every acknowledged event is stored exactly once,
// the rollups both servers read are exactly those of the stored events,
// and the one client counts as one visitor (the servers share the daily
// visitor-hash salt).
func TestSeveralServersOneDatabase(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const partnerOrigin = "https://www.acme.example"
	partners := filepath.Join(t.TempDir(), "partners.json")
	if err := os.WriteFile(partners, []byte(`{"partners": [{"id": "acme", "name": "Acme",
		"origins": ["`+partnerOrigin+`"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-partners", partners, "-client-rate", "0", "-partner-rate", "0"}
	servers := []*product{
		launchProduct(t, freePort(t), freePort(t), dsn, args...),
		launchProduct(t, freePort(t), freePort(t), dsn, args...),
	}
	for _, p := range servers {
		p.waitReady(t)
	}

	client := &http.Client{Timeout: 5 * time.Second}
	var killed atomic.Bool // servers[1] is gone: send to servers[0] only
	var mu sync.Mutex
	acked := map[string]bool{}
	accepted, duplicates, ackedAfterKill := 0, 0, 0
	ackedBy := map[*product]int{} // batches each server acknowledged
	loaded := newProgress()
	// post sends body to p and records what a 202 acknowledged.
	post := func(p *product, body string, ids []string) bool {
		req, _ := http.NewRequest("POST", p.URL+"/api/v1/events", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", p.URL)
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
		res, err := client.Do(req)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			return false
		}
		var r store.Receipt
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			t.Errorf("decoding a 202 answer: %v", err)
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		defer loaded.notify()
		ackedBy[p]++
		if r.Accepted+r.Duplicates != len(ids) {
			t.Errorf("receipt %+v for %d events", r, len(ids))
		}
		accepted, duplicates = accepted+r.Accepted, duplicates+r.Duplicates
		for _, id := range ids {
			acked[id] = true
		}
		if p == servers[0] && killed.Load() {
			ackedAfterKill++
		}
		return true
	}
	types := []string{
		`"type":"widget_viewed"`,
		`"type":"faq_opened","data":{"faq":"m365-and-security"}`,
		`"type":"question_answered","data":{"question":"internal-it","option":"it-team","index":0}`,
		`"type":"cta_clicked","data":{"cta":"contact","outcome":"co-managed"}`,
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLoad()
	for w := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				ids := make([]string, 5)
				events := make([]string, len(ids))
				at := time.Now().UTC().Format(time.RFC3339Nano)
				for i := range ids {
					ids[i] = uuid.Must(uuid.NewV7()).String()
					events[i] = fmt.Sprintf(`{"id":%q,%s,"at":%q}`, ids[i], types[rng.IntN(len(types))], at)
				}
				body := fmt.Sprintf(`{"partner":"acme","widget":"co-managed-vs-fully-managed","view":%q,`+
					`"page":{"origin":%q,"path":"/it-services"},"utm":{"source":"newsletter"},"events":[%s]}`,
					uuid.Must(uuid.NewV7()).String(), partnerOrigin, strings.Join(events, ","))
				first, second := servers[0], servers[1]
				if rng.IntN(2) == 0 {
					first, second = second, first
				}
				if killed.Load() {
					first, second = servers[0], servers[0]
				}
				ok := post(first, body, ids)
				// Half the batches go to the other server too, at once or
				// as a retry; a failed post is retried there, as a load
				// balancer would.
				if !ok || rng.IntN(2) == 0 {
					post(second, body, ids)
				}
			}
		})
	}
	// waitLoad waits until the load has done what ok says, which it does
	// within seconds.
	waitLoad := func(what string, ok func() bool) {
		t.Helper()
		if !loaded.wait(30*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return ok()
		}) {
			t.Fatalf("after 30 s of load, still not %s", what)
		}
	}
	// The kill comes mid-load, once both servers have acknowledged
	// batches, some of them both.
	waitLoad("50 batches acknowledged by each server, a duplicate among them", func() bool {
		return ackedBy[servers[0]] >= 50 && ackedBy[servers[1]] >= 50 && duplicates > 0
	})
	servers[1].Kill(t)
	killed.Store(true)
	waitLoad("50 batches acknowledged by the surviving server after the kill", func() bool {
		return ackedAfterKill >= 50
	})
	stopLoad()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d events acknowledged (%d accepted, %d duplicates in receipts), %d batches acknowledged after the kill",
		len(acked), accepted, duplicates, ackedAfterKill)
	if duplicates == 0 {
		t.Error("no duplicate was reported: the load sent none to both servers")
	}
	if ackedAfterKill == 0 {
		t.Error("the surviving server acknowledged nothing after the other was killed")
	}
	if res, err := http.Get(servers[0].URL + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("the surviving server is not ready: %v %v", res, err)
	}

	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var events []store.Event
	for after := int64(0); ; {
		page, err := db.Events(context.Background(), store.EventQuery{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		events = append(events, page...)
		after = page[len(page)-1].Seq
	}
	stored := map[string]int{}
	for _, e := range events {
		stored[e.ID]++
	}
	lost, doubled := 0, 0
	for id := range acked {
		if stored[id] == 0 {
			lost++
		}
	}
	for _, n := range stored {
		if n > 1 {
			doubled++
		}
	}
	if lost > 0 || doubled > 0 {
		t.Errorf("of %d acknowledged events, %d were lost; %d events were stored more than once", len(acked), lost, doubled)
	}
	// Receipts may miss events the killed server stored but never
	// answered for; they never claim more than is stored.
	if accepted > len(events) {
		t.Errorf("receipts accepted %d events, but %d are stored", accepted, len(events))
	}
	today := store.Day(time.Now())
	q := store.RollupQuery{From: today.AddDate(0, 0, -1), To: today.AddDate(0, 0, 1)}
	got, err := db.Rollups(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(storetest.Rollups(events), got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("rollups (-from raw events +stored):\n%s", diff)
	}
	// Every request came from one client address and user agent: one
	// visitor, counted once, since the servers share the daily salt.
	total := int64(0)
	for _, r := range got {
		if r.Visitors != 1 {
			t.Errorf("%s: %d daily unique visitors, want 1: one client posted to both servers", r.Day.Format(time.DateOnly), r.Visitors)
		}
		for _, n := range r.Events {
			total += n
		}
	}
	if total != int64(len(events)) {
		t.Errorf("rollups count %d events, %d are stored", total, len(events))
	}

	// The stats API of either server (the killed one restarted) tells the
	// same figures, each event counted once.
	restarted := launchProduct(t, freePort(t), freePort(t), dsn, args...)
	restarted.waitReady(t)
	var bodies []string
	for _, p := range []*product{servers[0], restarted} {
		req, _ := http.NewRequest("GET", p.URL+"/api/v1/stats", nil)
		req.Header.Set("Authorization", "Bearer "+p.Admin)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("stats from %s: %d %s", p.URL, res.StatusCode, b)
		}
		bodies = append(bodies, string(b))
	}
	if bodies[0] != bodies[1] {
		t.Errorf("the two servers' stats differ:\n%s\n%s", bodies[0], bodies[1])
	}
	var st stats.Stats
	if err := json.Unmarshal([]byte(bodies[0]), &st); err != nil {
		t.Fatal(err)
	}
	f := st.Totals
	if got := f.Views + f.FAQOpens + f.Answers + f.CTAClicks; got != int64(len(events)) {
		t.Errorf("the stats API counts %d events, %d are stored", got, len(events))
	}
}
