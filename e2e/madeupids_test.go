package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ehforge/forgefit/server"
	"github.com/ehforge/forgefit/store/sqlite"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/google/uuid"

	"github.com/ehforge/forgefit/store"
)

// TestMadeUpIDsAreRefusedAndTheDashboardStaysCapped runs the built server
// on a database that already holds a flood of made-up ids (as a server
// that did not check ids might have stored), for the demo partner: the
// server refuses a new batch of made-up ids with a 400 naming the field,
// and the dashboard lists each kind capped, with "Other" rows, axe-clean
// and without sideways scrolling at 1280 and 375 px.
func TestMadeUpIDsAreRefusedAndTheDashboardStaysCapped(t *testing.T) {
	db := filepath.Join(t.TempDir(), "forgefit.db")
	seedMadeUpIDs(t, db, 300)
	p := startProductAt(t, freePort(t), freePort(t), db)

	// A batch naming a question the content does not define, posted as
	// the widget posts one.
	at := time.Now().UTC().Format(time.RFC3339Nano)
	body := fmt.Sprintf(`{"partner":%q,"widget":"co-managed-vs-fully-managed","events":[`+
		`{"id":%q,"type":"widget_viewed","at":%q},`+
		`{"id":%q,"type":"question_answered","at":%q,"data":{"question":"made-up","option":"it-team","index":0}}]}`,
		server.DemoPartnerID, uuid.Must(uuid.NewV7()).String(), at, uuid.Must(uuid.NewV7()).String(), at)
	req, _ := http.NewRequest("POST", p.URL+"/api/v1/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", p.URL)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(answer), "events[1].data.question") {
		t.Errorf("made-up question: %d %s, want 400 naming events[1].data.question", res.StatusCode, answer)
	}

	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): `make test` installs it (make deps)", err)
	}
	ctx := newBrowser(t, 1280, 900)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.URL+"/dashboard"),
		chromedp.SendKeys(chromedp.ID("token"), p.Admin),
		chromedp.Submit(chromedp.ID("token")),
	); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, `!!document.querySelector(".headline")`, 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.URL+"/dashboard?partner="+server.DemoPartnerID)); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, ctx, `!!document.querySelector(".headline")`, 10*time.Second)
	text := eval[string](t, ctx, `document.querySelector("main").innerText`)
	for _, want := range []string{"more questions", "more options", "more FAQ entries", "more pages", "more sources", "Other responsibilities, not listed"} {
		if !strings.Contains(text, "Other: ") || !strings.Contains(text, want) {
			t.Errorf("the dashboard does not show an Other row for %q", want)
		}
	}
	if rows := eval[int](t, ctx, `document.querySelectorAll("tr").length`); rows > 1000 {
		t.Errorf("the dashboard has %d table rows", rows)
	}
	eval[bool](t, ctx, string(axe)+";true")
	for _, width := range []int64{1280, 375} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		checkAxe(t, ctx, fmt.Sprintf("the dashboard with made-up ids at %d px", width), "body")
		if over := eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			t.Errorf("at %d px the dashboard with made-up ids scrolls sideways", width)
		}
		shot(t, ctx, fmt.Sprintf("dashboard-made-up-ids-%d", width))
	}
}

// seedMadeUpIDs writes, straight into the SQLite database at path, n
// visits of the demo partner that each carry made-up ids of every kind
// the stats list. It writes before the server starts, as the server's
// only writer then.
func seedMadeUpIDs(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	zero := 0
	var batches []store.Batch
	for i := range n {
		id := "made-up-" + strconv.Itoa(i)
		events := []event.Event{
			{Type: event.WidgetViewed},
			{Type: event.QuestionAnswered, Data: event.Data{Question: id, Option: "x", Index: &zero}},
			{Type: event.QuestionAnswered, Data: event.Data{Question: "internal-it", Option: id, Index: &zero}},
			{Type: event.FAQOpened, Data: event.Data{FAQ: id}},
			{Type: event.CTAClicked, Data: event.Data{CTA: id, Outcome: event.CoManaged}},
			{Type: event.WorksheetCompleted, Data: event.Data{Shared: []string{id}, Undecided: []string{}}},
		}
		for j := range events {
			events[j].ID, events[j].At = uuid.Must(uuid.NewV7()).String(), now
		}
		batches = append(batches, store.Batch{
			Batch: event.Batch{Partner: server.DemoPartnerID, Widget: "co-managed-vs-fully-managed", Locale: "en",
				Page: event.Page{Origin: "https://www.example.org", Path: "/a-rather-long-path-that-someone-made-up/" + id},
				UTM:  event.UTM{Source: id + "-newsletter-with-a-long-name"}, Events: events},
			ReceivedAt: now,
		})
	}
	if _, err := db.Write(ctx, batches); err != nil {
		t.Fatal(err)
	}
}
