package cli

import (
	"context"
	"errors"
	"github.com/ehforge/forgefit/store"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestStartServesAndCloseDrains runs the program as Main does, on a real
// listener and SQLite file: start serves the API and the widget pages (routed
// with this server's content), an acknowledged batch is in the store, and
// Close stops the listener and closes the store, so that the file opens
// again with the batch in it.
func TestStartServesAndCloseDrains(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm fake"), 0o644)
	os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("//"), 0o644)
	db := filepath.Join(dir, "data", "forgefit.db")
	cfg, err := parseFlags([]string{"-addr", "127.0.0.1:0", "-db", db, "-web", dir, "-public-url", "http://fit.test",
		"-partners", writePartners(t, dir)}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opened := 0
	open := func(ctx context.Context, db string) (store.Store, error) {
		opened++
		return OpenStore(ctx, db)
	}
	p, err := start(t.Context(), cfg, log, open)
	if err != nil {
		t.Fatal(err)
	}
	if opened != 1 {
		t.Errorf("start opened %d stores through the opener it was given, want 1", opened)
	}
	base := "http://" + p.listeners[0].Addr().String()

	res := get(t, base+"/readyz")
	if res.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %d, want 200", res.StatusCode)
	}
	page := get(t, base+"/w/co-managed-vs-fully-managed?partner=acme")
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="ff-quiz"`) ||
		!strings.Contains(string(body), "https://acme.com/talk") {
		t.Errorf("widget page: %d, want the prerendered page with acme's call to action:\n%s", page.StatusCode, body)
	}

	id := uuid.Must(uuid.NewV7()).String()
	batch := `{"partner":"acme","widget":"co-managed-vs-fully-managed","events":[{"id":"` + id +
		`","type":"widget_loaded","at":"` + time.Now().UTC().Format(time.RFC3339Nano) + `"}]}`
	req, _ := http.NewRequest("POST", base+"/api/v1/events", strings.NewReader(batch))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://fit.test")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/v1/events: %d, want 202", res.StatusCode)
	}

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after Close, a request gets %v, want the connection refused", err)
	}
	stored, err := OpenStore(t.Context(), db)
	if err != nil {
		t.Fatalf("the store's file after Close: %v", err)
	}
	defer stored.Close()
	events, err := stored.Events(t.Context(), store.EventQuery{Partner: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ID != id {
		t.Errorf("stored events %+v, want the one acknowledged, %s", events, id)
	}
}

// TestStartClosesWhatItOpenedOnError checks that a start that fails after
// opening the store (here, its address is taken) closes the store again.
func TestStartClosesWhatItOpenedOnError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm fake"), 0o644)
	os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("//"), 0o644)
	cfg, err := parseFlags([]string{"-addr", "256.0.0.1:1", "-db", filepath.Join(dir, "forgefit.db"), "-web", dir,
		"-public-url", "http://fit.test", "-partners", writePartners(t, dir)}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var opened *closeCounter
	open := func(ctx context.Context, db string) (store.Store, error) {
		s, err := OpenStore(ctx, db)
		if err != nil {
			return nil, err
		}
		opened = &closeCounter{Store: s}
		return opened, nil
	}
	if _, err := start(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), open); err == nil {
		t.Fatal("start listened on 256.0.0.1")
	}
	if opened == nil || opened.closed != 1 {
		t.Errorf("the store opened by a failed start: %+v, want it closed once", opened)
	}
}

type closeCounter struct {
	store.Store
	closed int
}

func (c *closeCounter) Close() error {
	c.closed++
	return c.Store.Close()
}

// writePartners writes a partners file registering acme, with its own call
// to action, and returns its path.
func writePartners(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "partners.json")
	const partners = `{"partners": [{"id": "acme", "name": "Acme", "origins": ["https://acme.com"], "cta_url": "https://acme.com/talk"}]}`
	if err := os.WriteFile(p, []byte(partners), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
