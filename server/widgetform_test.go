package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ehforge/forgefit/widget/content"
	"github.com/ehforge/forgefit/widget/event"
	"github.com/ehforge/forgefit/widget/fit"
	"github.com/google/go-cmp/cmp"

	"github.com/ehforge/forgefit/store"
)

const widgetPath = "/w/co-managed-vs-fully-managed"

// formView is the view id a first page's prerender would have made.
const formView = "0193c5a2-7b1c-7d2e-8f30-112233445566"

// submit posts a widget form to pageURL (a path and query) as a browser
// does, without following the redirect, and returns the status and the
// Location or the body.
func (e *ingestEnv) submit(t *testing.T, pageURL string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.http.URL+pageURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", testOrigin)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36")
	return e.do(t, req)
}

func (e *ingestEnv) do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "" {
		return res.StatusCode, loc
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, b.String()
}

func (e *ingestEnv) storedEvents(t *testing.T) []store.Event {
	t.Helper()
	evs, err := e.store.Events(t.Context(), store.EventQuery{Partner: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func nextForm(option string) url.Values {
	return url.Values{"do": {"next"}, "option": {option}, "v": {formView}}
}

// TestNativeFormsRecordEachStepOnce walks the fit questions through the
// native forms alone, as a browser without the wasm does, and checks each
// step answers 303 to the next step's URL and stores the events the wasm
// would, once each, even when a form is submitted twice or again after
// Back.
func TestNativeFormsRecordEachStepOnce(t *testing.T) {
	env := newIngestEnv(t, nil)
	lib, _ := content.Default()
	w, _ := lib.Widget("co-managed-vs-fully-managed", "en")
	page := widgetPath + "?partner=acme&origin=" + url.QueryEscape(partnerPage) + "&path=%2Fit&utm_source=news&lazy=false"

	// The first question, answered twice (a double click on Next).
	first := nextForm(w.Fit.Questions[0].Options[2].ID)
	status, loc := env.submit(t, page, first)
	if status != http.StatusSeeOther {
		t.Fatalf("first answer: %d %s", status, loc)
	}
	if again, loc2 := env.submit(t, page, first); again != http.StatusSeeOther || loc2 != loc {
		t.Fatalf("the same form again: %d %s, want 303 %s", again, loc2, loc)
	}
	u, _ := url.Parse(loc)
	q := u.Query()
	want := url.Values{"partner": {"acme"}, "origin": {partnerPage}, "path": {"/it"}, "utm_source": {"news"},
		"v": {formView}, "s": {"1"}, "a": {w.Fit.Questions[0].Options[2].ID}}
	if diff := cmp.Diff(want, q); diff != "" || u.Path != widgetPath || u.Fragment != "ff-q-heading" {
		t.Fatalf("redirect %s (-want +got query):\n%s", loc, diff)
	}

	// The rest, with a Back and a resubmit of the second question on the
	// way (another option: the first answer stays the one stored).
	for i := 1; i < len(w.Fit.Questions); i++ {
		status, loc = env.submit(t, loc, nextForm(w.Fit.Questions[i].Options[2].ID))
		if status != http.StatusSeeOther {
			t.Fatalf("question %d: %d %s", i, status, loc)
		}
		if i == 1 {
			status, back := env.submit(t, loc, url.Values{"do": {"back"}, "v": {formView}})
			if status != http.StatusSeeOther || !strings.Contains(back, "s=1") {
				t.Fatalf("back: %d %s", status, back)
			}
			if status, loc = env.submit(t, back, nextForm(w.Fit.Questions[1].Options[0].ID)); status != http.StatusSeeOther || !strings.Contains(loc, "s=2") {
				t.Fatalf("resubmit after back: %d %s", status, loc)
			}
		}
	}
	if !strings.HasSuffix(loc, "#ff-result-heading") || !strings.Contains(loc, "s=7") {
		t.Errorf("the last answer lands on %s, want the result", loc)
	}
	// The outcome is the final answers' (the resubmitted one among them).
	u, _ = url.Parse(loc)
	final, err := fit.ParseVisit(w, u.Query().Get)
	if err != nil {
		t.Fatal(err)
	}
	outcome := string(final.Result(w).Outcome)
	// The call to action goes through us: recorded, then on to the
	// content's URL, attributed.
	req, _ := http.NewRequest("GET", env.http.URL+strings.Replace(strings.TrimSuffix(loc, "#ff-result-heading"), widgetPath+"?", widgetPath+"/cta?", 1), nil)
	status, cta := env.do(t, req)
	if status != http.StatusSeeOther || cta != content.AttributedCTA(w.CTA.URL, "acme") {
		t.Errorf("call to action: %d %s", status, cta)
	}

	var got []string
	for _, e := range env.storedEvents(t) {
		s := string(e.Type)
		switch e.Type {
		case event.QuestionAnswered:
			s += fmt.Sprintf(" %d %s", *e.Data.Index, e.Data.Option)
		case event.QuizCompleted, event.RecommendationShown, event.CTAClicked:
			s += " " + string(e.Data.Outcome)
		}
		if e.View != formView || e.Page.Origin != partnerPage || e.Page.Path != "/it" || e.UTM.Source != "news" || e.ID != event.DerivedID(formView, e.Type, 0) && e.Type != event.QuestionAnswered {
			t.Errorf("%s stored with view %q, page %v, utm %v, id %s", s, e.View, e.Page, e.UTM, e.ID)
		}
		got = append(got, s)
	}
	wantEvents := []string{"widget_loaded", "widget_viewed", "quiz_started"}
	for i, qu := range w.Fit.Questions {
		wantEvents = append(wantEvents, fmt.Sprintf("question_answered %d %s", i, qu.Options[2].ID))
	}
	wantEvents = append(wantEvents, "quiz_completed "+outcome, "recommendation_shown "+outcome, "cta_clicked "+outcome)
	if diff := cmp.Diff(wantEvents, got); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}
}

// TestNativeFormsRestartAndWorksheet checks Restart starts a new round
// (its answers are new events) and the worksheet's post keeps the owners in
// the URL and records worksheet_completed once a view.
func TestNativeFormsRestartAndWorksheet(t *testing.T) {
	env := newIngestEnv(t, nil)
	lib, _ := content.Default()
	w, _ := lib.Widget("co-managed-vs-fully-managed", "en")
	page := widgetPath + "?partner=acme&origin=" + url.QueryEscape(partnerPage)
	option := w.Fit.Questions[0].Options[0].ID
	_, loc := env.submit(t, page, nextForm(option))
	status, loc := env.submit(t, loc, url.Values{"do": {"restart"}, "v": {formView}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "r=1") || strings.Contains(loc, "a=") {
		t.Fatalf("restart: %d %s", status, loc)
	}
	if status, loc = env.submit(t, loc, nextForm(option)); status != http.StatusSeeOther {
		t.Fatalf("answer after restart: %d %s", status, loc)
	}
	sheet := url.Values{"do": {"worksheet"}, "v": {formView}, "ws-patching": {"shared"}, "ws-backup-validation": {"msp"}}
	for range 2 {
		if status, loc = env.submit(t, loc, sheet); status != http.StatusSeeOther || !strings.HasSuffix(loc, "#ff-ws-heading") {
			t.Fatalf("worksheet: %d %s", status, loc)
		}
	}
	u, _ := url.Parse(loc)
	v, err := fit.ParseVisit(w, u.Query().Get)
	if err != nil || v.Owners["patching"] != content.OwnerShared || v.Owners["backup-validation"] != content.OwnerMSP || len(v.Answers) != 1 {
		t.Errorf("visit after the worksheet: %+v, %v", v, err)
	}
	counts := map[event.Type]int{}
	for _, e := range env.storedEvents(t) {
		counts[e.Type]++
		if e.Type == event.WorksheetCompleted && !cmp.Equal(e.Data.Shared, []string{"patching"}) {
			t.Errorf("worksheet_completed shared %v, want patching", e.Data.Shared)
		}
	}
	want := map[event.Type]int{event.WidgetLoaded: 1, event.WidgetViewed: 1, event.QuizStarted: 1,
		event.QuestionAnswered: 2, event.QuizRestarted: 1, event.WorksheetCompleted: 1}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("stored event counts (-want +got):\n%s", diff)
	}
}

// TestNativeFormsRefuseBadInput sends malformed and tampered visits and
// forms: each gets a clear 400 page (or 403 for another site's form), never
// a 500, and stores nothing.
func TestNativeFormsRefuseBadInput(t *testing.T) {
	env := newIngestEnv(t, nil)
	base := widgetPath + "?partner=acme&origin=" + url.QueryEscape(partnerPage)
	ok := nextForm("it-team")
	for _, tc := range []struct {
		name, query string
		form        url.Values
		origin      string
		status      int
		says        string
	}{
		{"unknown option in the URL", "&v=" + formView + "&s=1&a=nonsense", ok, "", 400, "has no such option"},
		{"step past the answers", "&v=" + formView + "&s=3&a=it-team", ok, "", 400, "step past"},
		{"step not a number", "&s=x", ok, "", 400, "s: "},
		{"round out of range", "&r=9999", ok, "", 400, "r: "},
		{"owners of the wrong length", "&w=iii", ok, "", 400, "w: "},
		{"owner letter unknown", "&w=" + strings.Repeat("z", 12), ok, "", 400, "w: "},
		{"bad view id in the URL", "&v=not-a-uuid", ok, "", 400, "v: "},
		{"bad view id in the form", "", url.Values{"do": {"next"}, "option": {"it-team"}, "v": {"x"}}, "", 400, "view id"},
		{"no option chosen", "", url.Values{"do": {"next"}, "v": {formView}}, "", 400, "Choose one"},
		{"option of another question", "", nextForm("hand-over"), "", 400, "Choose one"},
		{"unknown button", "", url.Values{"do": {"delete"}, "v": {formView}}, "", 400, "button"},
		{"unknown responsibility", "", url.Values{"do": {"worksheet"}, "v": {formView}, "ws-bogus": {"msp"}}, "", 400, "no such responsibility"},
		{"unknown owner", "", url.Values{"do": {"worksheet"}, "v": {formView}, "ws-patching": {"boss"}}, "", 400, "not one of the owners"},
		{"another site's form", "", ok, "https://evil.example", 403, "only be sent from the widget"},
		{"unregistered host page", "?partner=acme&origin=https%3A%2F%2Fevil.example", ok, "", 403, "not registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := base + tc.query
			if strings.HasPrefix(tc.query, "?") {
				target = widgetPath + tc.query
			}
			req, _ := http.NewRequest("POST", env.http.URL+target, strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			origin := testOrigin
			if tc.origin != "" {
				origin = tc.origin
			}
			req.Header.Set("Origin", origin)
			status, body := env.do(t, req)
			if status != tc.status || !strings.Contains(body, tc.says) || !strings.Contains(body, "<!doctype html>") {
				t.Errorf("status %d, body %s; want %d saying %q", status, body, tc.status, tc.says)
			}
			if strings.Contains(tc.query, "&v=not") && strings.Contains(body, "not-a-uuid") {
				t.Error("the error page echoes the bad value")
			}
		})
	}
	// The same visits on a GET are refused alike.
	res, err := http.Get(env.http.URL + base + "&s=3")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("GET with a step past the answers: %d, want 400", res.StatusCode)
	}
	if evs := env.storedEvents(t); len(evs) != 0 {
		t.Errorf("%d events stored from refused forms", len(evs))
	}
}

// TestNativeFormsHonourConsent records nothing when the host page asked for
// consent and the form does not carry it, and records once it does.
func TestNativeFormsHonourConsent(t *testing.T) {
	env := newIngestEnv(t, nil)
	page := widgetPath + "?partner=acme&consent=required&origin=" + url.QueryEscape(partnerPage)
	if status, loc := env.submit(t, page, nextForm("it-team")); status != http.StatusSeeOther {
		t.Fatalf("%d %s", status, loc)
	}
	if evs := env.storedEvents(t); len(evs) != 0 {
		t.Fatalf("%d events stored without consent", len(evs))
	}
	granted := nextForm("it-team")
	granted.Set("consent", "granted")
	_, loc := env.submit(t, page, granted)
	if evs := env.storedEvents(t); len(evs) == 0 {
		t.Error("nothing stored once the form carried the host's consent")
	}
	// The next page knows the host consented: the loader tells a widget
	// once a visit, not at every step.
	if u, _ := url.Parse(loc); u.Query().Get("consent") != "granted" {
		t.Errorf("the next page %s does not carry the consent", loc)
	}
}

// TestDirectVisitsAreRecorded checks a widget page opened on its own (no
// host page origin) records as a direct visit of the partner, through the
// forms and the events API alike.
func TestDirectVisitsAreRecorded(t *testing.T) {
	env := newIngestEnv(t, nil)
	if status, loc := env.submit(t, widgetPath+"?partner=acme", nextForm("it-team")); status != http.StatusSeeOther {
		t.Fatalf("%d %s", status, loc)
	}
	res, body := env.post(t, post{body: `{"partner":"acme","widget":"co-managed-vs-fully-managed","events":[` + newEvent("faq_opened", `{"faq":"small-business"}`) + `]}`})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("a direct visit's batch: %d %s", res.StatusCode, body)
	}
	evs := env.storedEvents(t)
	if len(evs) == 0 {
		t.Fatal("nothing stored")
	}
	for _, e := range evs {
		if e.Page.Origin != "" || e.Page.Path != "" {
			t.Errorf("%s stored with page %v, want none (direct)", e.Type, e.Page)
		}
	}
}
