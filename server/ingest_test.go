package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/store/sqlite"
	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/store"
)

const (
	testOrigin  = "http://fit.test" // the server's public origin in these tests
	partnerPage = "https://www.acme.com"
)

type ingestEnv struct {
	srv   *server.Server
	store store.Store
	http  *httptest.Server
}

// faultyStore wraps a real store and fails or blocks writes on demand.
type faultyStore struct {
	store.Store
	mu    sync.Mutex
	fail  error
	block chan struct{}
}

func (f *faultyStore) Write(ctx context.Context, b []store.Batch) ([]store.Receipt, error) {
	f.mu.Lock()
	fail, block := f.fail, f.block
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	if fail != nil {
		return nil, fail
	}
	return f.Store.Write(ctx, b)
}

func newIngestEnv(t *testing.T, cfg func(*server.Config)) *ingestEnv {
	t.Helper()
	return newIngestEnvAt(t, t.TempDir(), cfg)
}

// newIngestEnvAt is newIngestEnv on the database in dir, so that a test
// can restart the server where it was (stop the first with close).
func newIngestEnvAt(t *testing.T, dir string, cfg func(*server.Config)) *ingestEnv {
	t.Helper()
	os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm"), 0o644)
	os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("//"), 0o644)
	var logOut io.Writer = io.Discard
	if testing.Verbose() {
		logOut = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	web, err := server.LoadWeb(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := content.Default()
	partners, _ := server.NewPartners([]server.Partner{{ID: "acme", Name: "Acme", Origins: []string{partnerPage}}})
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "forgefit.db"))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := url.Parse(testOrigin)
	c := server.Config{
		Content: lib, Partners: partners, Web: web, Store: store, Log: log,
		Widgets: http.NotFoundHandler(), PublicURL: pub, AdminToken: "admin-secret",
	}
	if cfg != nil {
		cfg(&c)
	}
	srv, err := server.New(c)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	e := &ingestEnv{srv: srv, store: store, http: hs}
	t.Cleanup(e.close)
	return e
}

// close stops the server and closes its store; closing again does nothing.
func (e *ingestEnv) close() {
	e.http.Close()
	e.srv.Close(context.Background())
	e.store.Close()
}

func newEvent(typ string, data string) string {
	id := uuid.Must(uuid.NewV7()).String()
	at := time.Now().UTC().Format(time.RFC3339Nano)
	if data != "" {
		data = `,"data":` + data
	}
	return fmt.Sprintf(`{"id":%q,"type":%q,"at":%q%s}`, id, typ, at, data)
}

func batchBody(partner, pageOrigin string, events ...string) string {
	return fmt.Sprintf(`{"partner":%q,"widget":"co-managed-vs-fully-managed","view":"v1","locale":"en",`+
		`"page":{"origin":%q,"path":"/it"},"utm":{"source":"news"},"events":[%s]}`,
		partner, pageOrigin, strings.Join(events, ","))
}

type post struct {
	body, contentType, origin, ua string
	headers                       map[string]string
}

func (e *ingestEnv) post(t *testing.T, p post) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/events", strings.NewReader(p.body))
	if p.contentType == "" {
		p.contentType = "application/json"
	}
	if p.origin == "" {
		p.origin = testOrigin
	}
	if p.ua == "" {
		p.ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
	}
	req.Header.Set("Content-Type", p.contentType)
	req.Header.Set("Origin", p.origin)
	req.Header.Set("User-Agent", p.ua)
	for k, v := range p.headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (e *ingestEnv) stored(t *testing.T) []store.Event {
	t.Helper()
	evs, err := e.store.Events(context.Background(), store.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestIngestStoresOnceAndAnswersAfterCommit(t *testing.T) {
	e := newIngestEnv(t, nil)
	one, two := newEvent("widget_loaded", ""), newEvent("question_answered", `{"question":"internal-it","option":"it-team","index":0}`)
	body := batchBody("acme", partnerPage, one, two)
	res, got := e.post(t, post{body: body})
	if res.StatusCode != 202 || got != `{"accepted":2,"duplicates":0}`+"\n" {
		t.Fatalf("first post: %d %s", res.StatusCode, got)
	}
	if n := len(e.stored(t)); n != 2 {
		t.Fatalf("202 answered but %d events stored", n)
	}
	// The beacon's text/plain form of the same batch: all duplicates.
	res, got = e.post(t, post{body: body, contentType: "text/plain;charset=UTF-8"})
	if res.StatusCode != 202 || got != `{"accepted":0,"duplicates":2}`+"\n" {
		t.Fatalf("repeat post: %d %s", res.StatusCode, got)
	}
	evs := e.stored(t)
	if len(evs) != 2 {
		t.Fatalf("%d events stored after a repeat, want 2", len(evs))
	}
	if evs[0].Visitor == nil || evs[0].Bot || evs[0].Test {
		t.Errorf("stored event: visitor %x, bot %v, test %v; want a visitor hash, not bot, not test", evs[0].Visitor, evs[0].Bot, evs[0].Test)
	}
}

func TestIngestPrivacyAndBots(t *testing.T) {
	e := newIngestEnv(t, nil)
	for _, tc := range []struct {
		name        string
		p           post
		wantVisitor bool
		wantBot     bool
	}{
		{"GPC", post{headers: map[string]string{"Sec-GPC": "1"}}, false, false},
		{"DNT", post{headers: map[string]string{"DNT": "1"}}, false, false},
		{"crawler", post{ua: "Mozilla/5.0 (compatible; Googlebot/2.1)"}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.stored(t))
			tc.p.body = batchBody("acme", partnerPage, newEvent("widget_loaded", ""))
			if res, body := e.post(t, tc.p); res.StatusCode != 202 {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
			evs := e.stored(t)[before:]
			if len(evs) != 1 {
				t.Fatalf("%d events stored", len(evs))
			}
			if (evs[0].Visitor != nil) != tc.wantVisitor || evs[0].Bot != tc.wantBot {
				t.Errorf("visitor %x bot %v; want visitor %v bot %v", evs[0].Visitor, evs[0].Bot, tc.wantVisitor, tc.wantBot)
			}
		})
	}
	// The widget's own report (navigator.webdriver) marks a bot too.
	body := strings.Replace(batchBody("acme", partnerPage, newEvent("widget_loaded", "")), `"events"`, `"bot":true,"events"`, 1)
	if res, b := e.post(t, post{body: body}); res.StatusCode != 202 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	evs := e.stored(t)
	if !evs[len(evs)-1].Bot {
		t.Error("a batch reporting bot:true was stored as not bot")
	}
}

func TestIngestRejectsAndStoresNothing(t *testing.T) {
	e := newIngestEnv(t, nil)
	valid := batchBody("acme", partnerPage, newEvent("widget_loaded", ""))
	many := make([]string, event.MaxEvents+1)
	for i := range many {
		many[i] = newEvent("widget_loaded", "")
	}
	for _, tc := range []struct {
		name   string
		p      post
		status int
		want   string // in the error message
	}{
		{"wrong content type", post{body: valid, contentType: "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"no origin", post{body: valid, origin: "null"}, 403, "origin check"},
		{"partner's site posting directly", post{body: valid, origin: partnerPage}, 403, "origin check"},
		{"oversized", post{body: `{"partner":"acme","x":"` + strings.Repeat("a", event.MaxBodyBytes) + `"}`}, 413, "bytes"},
		{"malformed", post{body: `{"partner":"acme",`}, 400, ""},
		{"unknown partner", post{body: batchBody("nobody", partnerPage, newEvent("widget_loaded", ""))}, 403, "partner check"},
		{"page not the partner's", post{body: batchBody("acme", "https://evil.example", newEvent("widget_loaded", ""))}, 403, "page origin check"},
		{"unknown type", post{body: batchBody("acme", partnerPage, newEvent("page_scrolled", ""))}, 400, "events[0].type"},
		{"unknown data field", post{body: batchBody("acme", partnerPage, newEvent("faq_opened", `{"faq":"x","extra":1}`))}, 400, "events[0].data"},
		{"too many events", post{body: batchBody("acme", partnerPage, many...)}, 413, "events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.post(t, tc.p)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			var errBody struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(body), &errBody); err != nil || errBody.Error.Code == "" {
				t.Fatalf("error body %q is not DESIGN.md's JSON error", body)
			}
			if !strings.Contains(errBody.Error.Message, tc.want) {
				t.Errorf("message %q does not say %q", errBody.Error.Message, tc.want)
			}
			if n := len(e.stored(t)); n != 0 {
				t.Errorf("%d events stored for a rejected batch", n)
			}
		})
	}
}

func TestIngestRateLimits(t *testing.T) {
	e := newIngestEnv(t, func(c *server.Config) { c.ClientRate = 1 }) // bursts of 2
	codes := []int{}
	for range 3 {
		res, _ := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))})
		codes = append(codes, res.StatusCode)
		if res.StatusCode == 429 && res.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if diff := cmp.Diff([]int{202, 202, 429}, codes); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestIngestDuplicateStorm(t *testing.T) {
	e := newIngestEnv(t, nil)
	const batches = 40
	bodies := make([]string, batches)
	for i := range bodies {
		bodies[i] = batchBody("acme", partnerPage, newEvent("widget_loaded", ""), newEvent("quiz_started", ""))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, dups := 0, 0
	for copyN := range 3 {
		for i := range bodies {
			wg.Go(func() {
				res, body := e.post(t, post{body: bodies[(i+copyN*7)%batches]})
				if res.StatusCode != 202 {
					t.Errorf("%d %s", res.StatusCode, body)
					return
				}
				var r store.Receipt
				json.Unmarshal([]byte(body), &r)
				mu.Lock()
				accepted += r.Accepted
				dups += r.Duplicates
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if accepted != 2*batches || dups != 4*batches {
		t.Errorf("accepted %d duplicates %d, want %d and %d", accepted, dups, 2*batches, 4*batches)
	}
	if n := len(e.stored(t)); n != 2*batches {
		t.Errorf("%d events stored, want %d", n, 2*batches)
	}
}

func TestIngestFailingStoreIsNever202(t *testing.T) {
	var faulty *faultyStore
	e := newIngestEnv(t, func(c *server.Config) {
		faulty = &faultyStore{Store: c.Store, fail: errors.New("disk I/O error: no space left on device")}
		c.Store = faulty
	})
	res, body := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))})
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("failing store: %d (Retry-After %q) %s; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
	// The same batch succeeds once the store recovers.
	faulty.mu.Lock()
	faulty.fail = nil
	faulty.mu.Unlock()
	if res, body := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))}); res.StatusCode != 202 {
		t.Fatalf("after recovery: %d %s", res.StatusCode, body)
	}
}

// enteringStore tells, on entered, that a write started (if nobody has
// yet to hear of the last one).
type enteringStore struct {
	*faultyStore
	entered chan struct{}
}

func (s enteringStore) Write(ctx context.Context, b []store.Batch) ([]store.Receipt, error) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	return s.faultyStore.Write(ctx, b)
}

func TestIngestQueueFullIs503(t *testing.T) {
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	e := newIngestEnv(t, func(c *server.Config) {
		c.Store = enteringStore{&faultyStore{Store: c.Store, block: block}, entered}
		c.QueueLen = 1
	})
	// One batch blocks in the committer, one waits in the queue; the next
	// finds the queue full.
	results := make(chan int, 2)
	postInTheBackground := func() {
		go func() {
			res, _ := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))})
			results <- res.StatusCode
		}()
	}
	postInTheBackground()
	select { // the committer has it, and waits in the store
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first batch did not reach the store within 10 s")
	}
	postInTheBackground()
	waitQueueDepth(t, e, 1)
	res, body := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))})
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Errorf("full queue: %d %s, want 503 with Retry-After", res.StatusCode, body)
	}
	close(block)
	for range 2 {
		if code := <-results; code != 202 {
			t.Errorf("a queued batch got %d, want 202", code)
		}
	}
}

// waitQueueDepth waits until the server reports n batches waiting for
// the committer (the ingest queue's gauge), for at most 10 s.
func waitQueueDepth(t *testing.T, e *ingestEnv, n int) {
	t.Helper()
	want := fmt.Sprintf("forgefit_ingest_queue_depth %d\n", n)
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		req, _ := http.NewRequest("GET", e.http.URL+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer admin-secret")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if last = string(b); strings.Contains(last, want) {
			return
		}
	}
	t.Fatalf("no %q in /metrics within 10 s:\n%s", strings.TrimSpace(want), last)
}

func TestCloseCommitsQueuedBatches(t *testing.T) {
	e := newIngestEnv(t, nil)
	if res, body := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))}); res.StatusCode != 202 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if err := e.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, _ := e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))})
	if res.StatusCode != 503 {
		t.Errorf("after Close: %d, want 503", res.StatusCode)
	}
}

func TestMetricsNeedTheAdminToken(t *testing.T) {
	e := newIngestEnv(t, nil)
	e.post(t, post{body: batchBody("acme", partnerPage, newEvent("widget_loaded", ""))})
	e.post(t, post{body: batchBody("nobody", partnerPage, newEvent("widget_loaded", ""))})
	for _, tc := range []struct {
		auth   string
		status int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer admin-secret", 200}} {
		req, _ := http.NewRequest("GET", e.http.URL+"/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%q: %d, want %d", tc.auth, res.StatusCode, tc.status)
		}
		if tc.status == 200 {
			for _, want := range []string{"forgefit_events_accepted_total 1", `forgefit_event_batches_rejected_total{reason="partner"} 1`, "forgefit_commit_seconds_count", "forgefit_ingest_queue_depth"} {
				if !bytes.Contains(b, []byte(want)) {
					t.Errorf("/metrics lacks %q", want)
				}
			}
		}
	}
}
